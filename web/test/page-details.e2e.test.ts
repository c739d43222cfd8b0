// The details a user reads, in Debian's chromium, on a quiet local chain (issue #17 items 5, 7
// and 9): every page's data in its first HTML, countdowns and "x ago" that move while no block is
// mined, the stake chart's labels in full, the form's escrow and replica bounds, the job page's
// terms and its live announcement of the phase. Two registered providers with no node behind them
// (so nothing sends a transaction unless the test does) and one open job nobody may bid on.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { createWalletClient, http, parseUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { postJob } from "@accord/client/actions/chain";
import { encodeManifest, MANIFEST_RUNTIME, MANIFEST_VERSION, type Manifest } from "@accord/client/manifest";
import { DEV_ACCOUNTS } from "../../scripts/devnet/accounts.ts";
import { screenFit } from "./fits-screen.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainOf, NO_PROVIDER_QUALIFIES_BPS } from "./chain.ts";
import { BUILD_TIMEOUT_MS, buildWeb, launchBrowser, startDevnet, startWeb, WEB_DIR, type Devnet, type WebServer } from "./harness.ts";

const SHOTS = join(WEB_DIR, "..", "test-results", "web");
/** Whole tUSD each provider stakes: the stake chart's top tick is the larger, 1,000. */
const STAKES = ["1000", "250"];
/** Long enough that the countdown is still running when the test reads it on a loaded machine. */
const BID_WINDOW_S = 3_600;
const WIDTHS = [390, 1280];

let devnet: Devnet;
let web: WebServer;
let browser: Browser;
let jobId: string;
/** A job whose manifest this server holds (uploaded as the form does), and that manifest. */
let ranJobId: string;
let ran: Manifest;
const consoleErrors: string[] = [];

async function open(path: string, waitFor: string, width = 1280): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(`${path}: ${m.text()} ${m.location().url ?? ""}`.trimEnd()));
  page.on("pageerror", (e) => consoleErrors.push(`${path}: ${e.message}`));
  await page.goto(`${web.url}${path}`);
  await page.getByText(waitFor, { exact: false }).first().waitFor({ timeout: 30_000 });
  return page;
}

/** Waits until the text of `selector` is no longer `before`, and returns it. */
async function changed(page: Page, selector: string, before: string): Promise<string> {
  const handle = await page.waitForFunction(([sel, was]) => {
    const now = document.querySelector(sel)?.textContent;
    return now && now !== was ? now : false;
  }, [selector, before] as const, { timeout: 30_000, polling: 200 });
  return (await handle.jsonValue()) as string;
}

describe("the details a user reads, on a quiet chain", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [devnet] = await Promise.all([startDevnet(), buildWeb()]);
    for (const [i, stake] of STAKES.entries()) await chainOf(devnet, 4 + i).registerProvider(parseUnits(stake, 6));
    jobId = String((await chainOf(devnet, 1).postJob({ bidWindowS: BID_WINDOW_S, replicas: 2, quorum: 2, minReputation: NO_PROVIDER_QUALIFIES_BPS })).jobId);
    web = await startWeb(devnet);
    browser = await launchBrowser();

    // The program, its input and its manifest, uploaded to this server's node, then the job posted on chain.
    const upload = async (files: Record<string, Uint8Array>) => {
      const form = new FormData();
      for (const [field, bytes] of Object.entries(files)) form.append(field, new Blob([bytes as BlobPart]), field);
      const res = await fetch(`${web.url}/api/content`, { method: "POST", body: form });
      if (!res.ok) throw new Error(`upload refused: ${res.status} ${await res.text()}`);
      return Object.fromEntries(((await res.json()) as { field: string; cid: string }[]).map((u) => [u.field, u.cid]));
    };
    const stored = await upload({ module: readFileSync(join(WEB_DIR, "..", "client", "fixtures", "wasm", "sha256.wasm")), input: new TextEncoder().encode("hello\n") });
    ran = {
      version: MANIFEST_VERSION,
      runtime: MANIFEST_RUNTIME,
      module: stored.module!,
      args: ["sha256", "/input/data.bin"],
      env: { MODE: "check" },
      inputs: { "data.bin": stored.input! },
      limits: { fuel: 1_000_000_000, memoryPages: 1024, stdoutBytes: 1 << 20, stderrBytes: 1 << 20, outputFiles: 64, outputBytes: 16 << 20, wallClockMs: 60_000 },
      resultPublicKey: `0x${"11".repeat(32)}`,
    };
    const { manifest: manifestCid } = await upload({ manifest: encodeManifest(ran) });
    const requester = chainOf(devnet, 1);
    const walletClient = createWalletClient({ account: privateKeyToAccount(DEV_ACCOUNTS[1]!.privateKey), chain: hardhat, transport: http(devnet.rpcUrl) });
    const posted = await postJob(
      { publicClient: requester.pub, walletClient, market: devnet.deployment.jobMarket, token: devnet.deployment.token },
      { manifestCid: manifestCid!, replicas: 1, quorum: 1, maxPrice: 1_000_000n, bidWindow: BID_WINDOW_S, commitWindow: 60, revealWindow: 60, minReputation: NO_PROVIDER_QUALIFIES_BPS },
    );
    ranJobId = String(posted.jobId);
  }, BUILD_TIMEOUT_MS + 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await web?.stop();
    await devnet?.stop();
  }, 60_000);

  it("renders every page's data in its first HTML, before any script runs (item 5)", async () => {
    const requester = chainOf(devnet, 1).address;
    const provider = chainOf(devnet, 4).address;
    const html = async (path: string) => {
      const res = await fetch(`${web.url}${path}`);
      expect(res.status, path).toBe(200);
      return res.text();
    };
    // What each page's data looks like in markup (the elements bench:web times), never a spinner.
    const pages: [string, string[]][] = [
      ["/", ['aria-label="Market statistics"', `href="/providers/${provider}"`]],
      ["/providers", ['id="leaderboard"', `href="/providers/${provider}"`]],
      [`/providers/${provider}`, ['aria-label="Provider statistics"']],
      [`/jobs/${jobId}`, ['data-testid="phases"', 'data-phase="bids"', 'id="terms"']],
      ["/post", ['class="fieldset"']],
      [`/accounts/${requester}`, ['data-testid="stat-balance"', `href="/jobs/${jobId}"`]],
      ["/jobs?state=Open", ['id="jobs"', `href="/jobs/${jobId}"`]],
    ];
    for (const [path, markers] of pages) {
      const page = await html(path);
      for (const m of markers) expect(page, `${path} lacks ${m} in its first HTML`).toContain(m);
    }
  });

  it("moves countdowns and “x ago” with the wall clock while the chain mines no block (item 7)", async () => {
    const pub = chainOf(devnet, 1).pub;
    const block = await pub.getBlockNumber();

    const page = await open(`/jobs/${jobId}`, "Open for bids");
    const countdown = '[data-phase="bids"] .sub';
    const first = (await page.locator(countdown).textContent())!;
    expect(first).toMatch(/deadline in \d/);
    const later = await changed(page, countdown, first);
    expect(later).toMatch(/deadline in \d/);
    await page.close();

    // Posted more than a few seconds ago: the list says how long, and keeps counting.
    const list = await open("/jobs?state=Open", "Matching jobs");
    const ago = `#jobs tr:has(a[href="/jobs/${jobId}"]) td:last-child`;
    await list.locator(ago).filter({ hasText: / ago$/ }).waitFor({ timeout: 30_000 });
    const posted = (await list.locator(ago).textContent())!;
    expect(await changed(list, ago, posted)).toMatch(/ ago$/);
    await list.close();

    // Nothing was mined meanwhile: only the wall clock moved them.
    expect(await pub.getBlockNumber()).toBe(block);
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  for (const width of WIDTHS) {
    it(`draws the stake chart's labels in full at ${width} px: 1,000, not a clipped 0,000 (item 9)`, async () => {
      const page = await open("/providers", "Leaderboard", width);
      const chart = page.locator("#stake-chart svg.chart");
      await chart.waitFor();
      const svg = (await chart.boundingBox())!;
      const labels = await chart.locator("text").evaluateAll((ts) => ts.map((t) => t.textContent));
      expect(labels).toEqual(expect.arrayContaining(["0", "500", "1,000"]));
      for (const label of await chart.locator("text").all()) {
        const box = (await label.boundingBox())!;
        const text = await label.textContent();
        expect(box.x, `"${text}" is cut at the chart's left edge`).toBeGreaterThanOrEqual(svg.x);
        expect(box.x + box.width, `"${text}" is cut at the chart's right edge`).toBeLessThanOrEqual(svg.x + svg.width + 0.5);
      }
      await page.screenshot({ path: join(SHOTS, `details-stake-chart-${width}.png`), fullPage: true });
      await page.close();
      expect(consoleErrors).toEqual([]);
    }, 60_000);

    it(`shows no escrow before a price, and refuses 0 replicas without an impossible quorum range, at ${width} px (item 9)`, async () => {
      const page = await open("/post", "Post a job", width);
      const escrow = page.getByTestId("escrow");
      await escrow.getByText("set the maximum price (or use the suggested one below) to see what the job locks").waitFor({ timeout: 30_000 });
      expect(await escrow.locator(".amount").count()).toBe(0);
      await page.getByLabel(/Maximum price per replica/).fill("1");
      await escrow.getByText(/for 3 replicas/).waitFor({ timeout: 30_000 }); // the form's default
      expect(await escrow.locator(".amount").count()).toBeGreaterThan(0);

      await page.getByLabel("Replicas", { exact: true }).fill("0");
      await page.getByLabel("Quorum", { exact: true }).click();
      await page.getByText("Between 1 and 16 independent runs.").waitFor();
      const body = (await page.locator("main").textContent())!;
      expect(body).not.toMatch(/\b1 to 0\b/);
      expect(body).toContain("Identical results needed: more than half of the replicas.");
      await page.close();
      expect(consoleErrors).toEqual([]);
    }, 60_000);

    it(`states a job's replicas as terms, not progress, and announces its phase in a live region, at ${width} px (item 9)`, async () => {
      const page = await open(`/jobs/${jobId}`, "Open for bids", width);
      const terms = page.locator("#terms dl.facts");
      await terms.getByText("2 independent runs; 2 must match").waitFor();
      expect(await terms.textContent()).not.toMatch(/\d+ of \d+/);
      const live = page.getByTestId("phase-announcement");
      await expect(live.getAttribute("aria-live")).resolves.toBe("polite");
      await expect(live.textContent()).resolves.toBe("Job is at: Bids (0 of 2)");
      await page.close();
      expect(consoleErrors).toEqual([]);
    }, 60_000);
  }

  for (const width of WIDTHS) {
    it(`shows what a job ran, read from its manifest: module, arguments, environment, inputs, limits, at ${width} px (Missing: what ran)`, async () => {
      const page = await open(`/jobs/${ranJobId}`, "What ran", width);
      const what = page.getByTestId("what-ran");
      await what.waitFor({ timeout: 30_000 });
      await expect(page.getByTestId("what-ran-module").locator(".mono").getAttribute("title")).resolves.toBe(ran.module);
      expect(await page.getByTestId("what-ran-args").locator("li").allTextContents()).toEqual(ran.args);
      await what.getByText("MODE=check").waitFor();
      const input = page.getByTestId("what-ran-inputs").locator('li[data-path="data.bin"]');
      await input.getByText("/input/data.bin").waitFor();
      await expect(input.locator(".mono").getAttribute("title")).resolves.toBe(ran.inputs["data.bin"]);
      await expect(page.getByTestId("what-ran-limits").textContent()).resolves.toBe(
        "fuel 1,000,000,000; memory 64.0 MiB; wall clock 1 min; stdout 1.0 MiB, stderr 1.0 MiB; output 64 files, 16.0 MiB in all",
      );
      // A one-replica job, in the singular.
      await page.locator("#terms").getByText("1 independent run; 1 must match").waitFor();
      await page.locator('[data-phase="settlement"]').getByText("when 1 matching result is revealed").waitFor();
      const fit = await screenFit(page, width);
      expect(fit.scrollWidth, fit.offenders.join("; ")).toBeLessThanOrEqual(width);
      await page.screenshot({ path: join(SHOTS, `details-what-ran-${width}.png`), fullPage: true });
      await page.close();
      expect(consoleErrors).toEqual([]);
    }, 60_000);
  }

  it("says why a job's manifest cannot be shown when nobody serves it, without a failed request in the console (Missing: what ran)", async () => {
    // jobId's manifest CID names random bytes no one holds.
    const page = await open(`/jobs/${jobId}`, "What ran");
    const gone = page.getByTestId("what-ran-unavailable");
    await gone.getByText("No one served the manifest within 10 s", { exact: false }).waitFor({ timeout: 60_000 });
    await gone.getByText("Once nobody does, only its CID remains.", { exact: false }).waitFor();
    await page.close();
    expect(consoleErrors).toEqual([]);
  }, 90_000);

  it("announces the job's end in its live region when it is cancelled, and no longer says “No bids yet” (item 9)", async () => {
    const page = await open(`/jobs/${jobId}`, "Open for bids");
    const live = page.getByTestId("phase-announcement");
    await expect(live.textContent()).resolves.toBe("Job is at: Bids (0 of 2)");
    // Cancelled by the requester's other tools: the page hears it from the chain, unreloaded.
    await chainOf(devnet, 1).cancel(BigInt(jobId));
    await live.filter({ hasText: "Job stopped at: Settled: cancelled" }).waitFor({ timeout: 60_000 });
    await page.getByText("No provider bid before the job was cancelled.").waitFor();
    expect(await page.getByText("No bids yet").count()).toBe(0);
    await page.close();
    expect(consoleErrors).toEqual([]);
  }, 90_000);
});
