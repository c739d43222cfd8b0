// What a user checks about a job, in Debian's chromium against a local chain and three real
// provider nodes priced as a daemon is by default (fuel at the ask, plus memory and input):
// the form's suggested price gets a bid from every provider it names, and a program that
// failed never reads as a success.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobDetail } from "../lib/types.ts";
import { buildWeb, launchBrowser, startDevnet, startWeb, WEB_DIR, type Devnet, type WebServer } from "./harness.ts";
import { startTestProvider, type TestProvider } from "./providers.ts";

const SHOTS = join(WEB_DIR, "..", "test-results", "web");
const FIXTURES = join(WEB_DIR, "..", "client", "fixtures", "wasm");
/** Token units per 1e9 fuel (tUSD has 6 decimals): 1, 1.1 and 1.3 tUSD. */
const ASKS = [1_000_000n, 1_100_000n, 1_300_000n];
/**
 * The dearest provider's price for a 1e9-fuel job with the form's 64 MiB of memory and under
 * 1 MiB of module and input, at the daemon's default rates of 1 unit per MiB: 1.3 tUSD + 64 + 1.
 */
const SUGGESTED = "1.300065";

let devnet: Devnet;
let web: WebServer;
let browser: Browser;
let context: BrowserContext;
let providers: TestProvider[] = [];
let work: string;
const consoleErrors: string[] = [];

function watch(page: Page, label: string): Page {
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(`${label}: ${m.text()} ${m.location().url ?? ""}`.trimEnd()));
  page.on("pageerror", (e) => consoleErrors.push(`${label}: ${e.message}`));
  return page;
}

async function open(path: string, waitFor: string, viewport?: { width: number; height: number }): Promise<Page> {
  const page = watch(await context.newPage(), path);
  if (viewport) await page.setViewportSize(viewport);
  await page.goto(`${web.url}${path}`);
  await page.getByText(waitFor, { exact: false }).first().waitFor({ timeout: 30_000 });
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

async function job(id: string): Promise<JobDetail> {
  return (await fetch(`${web.url}/api/jobs/${id}`)).json() as Promise<JobDetail>;
}

/** Waits, without a timed assertion, until the server's index shows what `done` looks for. */
async function until(id: string, done: (j: JobDetail) => boolean, what: string, timeoutMs = 180_000): Promise<JobDetail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const j = await job(id);
    if (done(j)) return j;
    if (Date.now() > deadline) throw new Error(`job ${id} never reached: ${what}; last seen ${JSON.stringify({ state: j.state, bids: j.bidBook, settlement: j.settlement })}`);
    await sleep(250);
  }
}

/** Fills the form with a sha256 run over `data` (the argument left out when `args` says so) and posts it at the suggested price. */
async function postThroughForm(page: Page, p: { dataPath: string; args: string; name: string }): Promise<{ id: string; named: string[] }> {
  await page.getByLabel("WebAssembly program (.wasm)").setInputFiles(join(FIXTURES, "sha256.wasm"));
  await page.getByLabel("Input files").setInputFiles(p.dataPath);
  await page.getByLabel("Arguments").fill(p.args);
  const estimate = page.getByTestId("estimate");
  await estimate.getByRole("button", { name: "Use this price" }).waitFor({ timeout: 30_000 });
  const named = await estimate.getByTestId("estimate-providers").locator("li").evaluateAll((li) => li.map((l) => l.getAttribute("data-provider")!));
  await estimate.getByRole("button", { name: "Use this price" }).click();
  await shot(page, `${p.name}-form`);
  await page.getByTestId("post-submit").click();
  await page.waitForURL(/\/jobs\/\d+$/, { timeout: 90_000 });
  return { id: page.url().split("/").pop()!, named };
}

describe("a job's truth in the web app", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    work = mkdtempSync(join(tmpdir(), "accord-web-truth-"));
    [devnet] = await Promise.all([startDevnet(), buildWeb()]);
    providers = [];
    for (const [i, askPrice] of ASKS.entries()) providers.push(await startTestProvider(devnet, 4 + i, { askPrice, pricing: "default" }));
    web = await startWeb(devnet);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  }, 420_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await web?.stop();
    for (const p of providers) await p.provider.stop().catch(() => {});
    await devnet?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it("suggests the price every named provider bids at, priced as the providers price (fuel, memory, input), in exact amounts", async () => {
    const dataPath = join(work, "data.bin");
    writeFileSync(dataPath, randomBytes(100_000));
    const page = await open("/post", "Post a job");
    await page.getByTestId("wallet-button").click();
    await page.getByTestId("connect-dev").click();
    await page.getByTestId("wallet-button").filter({ hasText: "0x7099" }).waitFor();

    // Each named provider shows its exact price with its parts: 1.3 tUSD of fuel, 64 units of memory, 1 of input.
    await page.getByLabel("WebAssembly program (.wasm)").setInputFiles(join(FIXTURES, "sha256.wasm"));
    await page.getByLabel("Input files").setInputFiles(dataPath);
    const dearest = page.getByTestId("estimate-providers").locator(`li[data-provider="${providers[2]!.address}"]`);
    await dearest.getByText(`asks ${SUGGESTED} tUSD`).waitFor({ timeout: 30_000 });
    await expect(dearest.textContent()).resolves.toContain("(fuel 1.3 + memory 0.000064 + input 0.000001)");

    const { id, named } = await postThroughForm(page, { dataPath, args: "sha256\n/input/data.bin", name: "suggested-price" });
    expect(new Set(named)).toEqual(new Set(providers.map((p) => p.address)));
    const posted = await job(id);
    expect(posted.maxPrice).toBe("1300065");

    // Every provider the form named bids: none declines the suggested price.
    const awarded = await until(id, (j) => named.every((a) => j.bidBook.some((b) => b.provider === a)), "a bid from every named provider");
    expect(awarded.bidBook.map((b) => b.price).sort()).toEqual(["1000065", "1100065", "1300065"]);
    // Bids show in full: 1.000065, not 1.
    await page.getByText("1.000065 tUSD").first().waitFor({ timeout: 60_000 });
    await page.locator('[data-phase="settlement"][data-status="done"]').waitFor({ timeout: 180_000 });
    await shot(page, "suggested-price-settled");
    await page.close();
    expect(consoleErrors).toEqual([]);
  }, 420_000);

  it("shows a program that exited 2 as exit 2 beside the quorum's agreement: on its page, in the lists, and in the market's count", async () => {
    const dataPath = join(work, "data.bin");
    const page = await open("/post", "Post a job");
    await page.getByTestId("wallet-button").filter({ hasText: "0x7099" }).waitFor();
    // sha256 without its file argument prints its usage and exits 2; every provider agrees on that.
    const { id } = await postThroughForm(page, { dataPath, args: "sha256", name: "failed-program" });
    await page.locator('[data-phase="settlement"][data-status="done"]').waitFor({ timeout: 240_000 });

    const head = page.locator(".page-head");
    await head.getByText("Quorum agreed").waitFor();
    expect(await head.getByText("Succeeded", { exact: true }).count()).toBe(0);
    // Until the result is decrypted, the page does not guess the program's status.
    await head.getByTestId("program-status").filter({ hasText: "program status sealed" }).waitFor();

    await page.getByTestId("open-result").click();
    await page.getByTestId("result").waitFor({ timeout: 90_000 });
    await expect(page.getByTestId("result-status").textContent()).resolves.toBe("exited with code 2");
    await page.getByTestId("program-failed").waitFor();
    const badge = head.getByTestId("program-status");
    await badge.filter({ hasText: "exit 2" }).waitFor();
    await expect(badge.getAttribute("class")).resolves.toContain("bad");
    await shot(page, "failed-program-job");
    await page.close();

    // The lists this browser shows it in say exit 2 too: my jobs, the market's recent jobs.
    const me = await open("/me", "My jobs");
    const mine = me.getByRole("row").filter({ has: me.getByRole("link", { name: `Job ${id}` }) });
    await mine.getByTestId("program-status").filter({ hasText: "exit 2" }).waitFor({ timeout: 30_000 });
    await me.close();

    const market = await open("/", "Recently settled");
    const row = market.getByRole("region", { name: "Recently settled" }).getByRole("row").filter({ has: market.getByRole("link", { name: `Job ${id}` }) });
    await row.getByTestId("program-status").filter({ hasText: "exit 2" }).waitFor({ timeout: 30_000 });
    await row.getByText("Quorum agreed").waitFor();
    await market.getByLabel("Market statistics").getByText("2 of 2 settled jobs reached a quorum", { exact: false }).waitFor();
    expect(await market.getByLabel("Market statistics").getByText("succeeded").count()).toBe(0);
    await market.close();

    // On a phone the badge pair still reads beside the job's id.
    const phone = await open(`/jobs/${id}`, "Quorum agreed", { width: 390, height: 844 });
    await phone.locator(".page-head").getByTestId("program-status").filter({ hasText: "exit 2" }).waitFor();
    await shot(phone, "failed-program-phone");
    await phone.close();
    expect(consoleErrors).toEqual([]);
  }, 420_000);
});
