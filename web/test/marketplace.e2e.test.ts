// End to end, in Debian's chromium: a local chain, three real provider nodes (one told to return a
// wrong result), the built web app. A requester posts a job through the form with the built-in
// development wallet, watches it settle, decrypts and downloads the result, and every page opens.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWeb, launchBrowser, startDevnet, startWeb, WEB_DIR, type Devnet, type WebServer } from "./harness.ts";
import { startTestProvider, type TestProvider } from "./providers.ts";

const SHOTS = join(WEB_DIR, "..", "test-results", "web");
const FIXTURE = join(WEB_DIR, "..", "client", "fixtures", "wasm", "sha256.wasm");
/** Token units per 1e9 fuel (tUSD has 6 decimals): 1, 1.2 and 1.5 tUSD. */
const ASKS = [1_000_000n, 1_200_000n, 1_500_000n];

let devnet: Devnet;
let web: WebServer;
let browser: Browser;
let context: BrowserContext;
let providers: TestProvider[] = [];
let work: string;
const consoleErrors: string[] = [];
let jobId: string;

async function open(path: string, waitFor: string): Promise<Page> {
  const page = await context.newPage();
  // The URL says which resource failed; "Failed to load resource" alone does not.
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(`${path}: ${m.text()} ${m.location().url ?? ""}`.trimEnd()));
  page.on("pageerror", (e) => consoleErrors.push(`${path}: ${e.message}`));
  await page.goto(`${web.url}${path}`);
  await page.getByText(waitFor, { exact: false }).first().waitFor({ timeout: 30_000 });
  return page;
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe("marketplace web app", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    work = mkdtempSync(join(tmpdir(), "accord-web-e2e-"));
    [devnet] = await Promise.all([startDevnet(), buildWeb()]);
    providers = [
      await startTestProvider(devnet, 4, { askPrice: ASKS[0]! }),
      await startTestProvider(devnet, 5, { askPrice: ASKS[1]! }),
      await startTestProvider(devnet, 6, { askPrice: ASKS[2]!, fault: "wrong-result" }),
    ];
    web = await startWeb(devnet);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  }, 420_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await web?.stop();
    for (const p of providers) await p.provider.stop().catch(() => {});
    await devnet?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it("shows the market with the registered providers", async () => {
    const page = await open("/", "Active providers");
    await page.getByRole("region", { name: "Active providers" }).getByRole("link", { name: `Provider ${providers[0]!.address}` }).waitFor();
    await expect(page.getByLabel("Market statistics").getByText("Active providers").locator("..").textContent()).resolves.toContain("3");
    await shot(page, "market-empty");
    await page.close();
  });

  it("posts a job from the form, watches it settle, and downloads the verified result", async () => {
    const data = randomBytes(100_000);
    const dataPath = join(work, "data.bin");
    writeFileSync(dataPath, data);
    const expected = createHash("sha256").update(data).digest("hex");

    const page = await open("/post", "Post a job");
    // Validation speaks before anything is sent.
    await page.getByTestId("post-submit").click();
    await page.getByText("Choose the .wasm program to run.").waitFor();
    await page.getByLabel("Quorum").fill("1");
    await page.getByText("More than half the replicas").waitFor();

    await page.getByTestId("wallet-button").click();
    await page.getByTestId("connect-dev").click();
    await page.getByTestId("wallet-button").filter({ hasText: "0x7099" }).waitFor();

    await page.getByLabel("WebAssembly program (.wasm)").setInputFiles(FIXTURE);
    await page.getByLabel("Input files").setInputFiles(dataPath);
    await page.getByLabel("Arguments").fill("sha256\n/input/data.bin");
    await page.getByLabel("Quorum").fill("2");
    await page.getByTestId("estimate").getByRole("button", { name: "Use this price" }).click();
    await expect(page.getByLabel(/Maximum price per replica/).inputValue()).resolves.toBe("1.5");
    await shot(page, "post-form");

    await page.getByTestId("post-submit").click();
    await page.waitForURL(/\/jobs\/\d+$/, { timeout: 60_000 });
    jobId = page.url().split("/").pop()!;

    // The timeline follows the chain live: settlement shows up without a reload.
    await page.locator('[data-phase="settlement"][data-status="done"]').waitFor({ timeout: 120_000 });
    await page.getByText("Dissented").first().waitFor();

    await page.getByTestId("open-result").click();
    await page.getByTestId("result").waitFor({ timeout: 60_000 });
    await expect(page.getByTestId("stdout").textContent()).resolves.toContain(expected);
    await expect(page.getByTestId("result-status").textContent()).resolves.toBe("exited with code 0");

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-stdout").click()]);
    const saved = join(work, "stdout.txt");
    await download.saveAs(saved);
    expect(readFileSync(saved, "utf8")).toContain(expected);
    await shot(page, "job-settled");
    await page.close();
  }, 300_000);

  it("opens every page, each with live data and no console error", async () => {
    const market = await open("/", "Recently settled");
    await market.getByRole("link", { name: `Job ${jobId}` }).first().waitFor();
    // Winning bids of 1, 1.2 and 1.5 tUSD for 1e9 fuel: the median price per 1e9 fuel is 1.2 tUSD.
    await market.getByLabel("Market statistics").getByText("1.2 tUSD").waitFor();
    await shot(market, "market");
    await market.close();

    const leaderboard = await open("/providers", "Leaderboard");
    await leaderboard.getByText("Reputation and agreement").waitFor();
    await shot(leaderboard, "providers");
    await leaderboard.close();

    const honest = await open(`/providers/${providers[0]!.address}`, "Reputation over time");
    await honest.getByText("Agreed").first().waitFor();
    await shot(honest, "provider-honest");
    await honest.close();

    const faulty = await open(`/providers/${providers[2]!.address}`, "Reputation over time");
    await faulty.getByText("Dissented").first().waitFor();
    await shot(faulty, "provider-faulty");
    await faulty.close();

    const me = await open("/me", "My jobs");
    await me.getByRole("link", { name: `Job ${jobId}` }).waitFor();
    await shot(me, "my-jobs");
    await me.close();

    const narrow = await context.newPage();
    narrow.on("console", (m) => m.type() === "error" && consoleErrors.push(`mobile: ${m.text()}`));
    await narrow.setViewportSize({ width: 390, height: 844 });
    await narrow.goto(`${web.url}/jobs/${jobId}`);
    await narrow.getByText("Settled: quorum agreed").waitFor();
    await shot(narrow, "job-mobile");
    await narrow.close();

    expect(consoleErrors).toEqual([]);
  }, 180_000);

  it("explains an unknown job instead of failing", async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/jobs/999`);
    await page.getByText("No job 999 was ever posted on this market.").waitFor();
    await shot(page, "job-not-found");
    await page.close();
  });
});
