// What a user checks about a job, in Debian's chromium against a local chain and three real
// provider nodes priced as a daemon is by default (fuel at the ask, plus memory and input):
// the form's suggested price gets a bid from every provider it names, and a program that
// failed never reads as a success.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobDetail } from "../lib/types.ts";
import { screenFit } from "./fits-screen.ts";
import { BUILD_TIMEOUT_MS, buildWeb, launchBrowser, startDevnet, startWeb, WEB_DIR, type Devnet, type WebServer } from "./harness.ts";
import { stopScene } from "./scene.ts";
import { startTestProvider, type TestProvider } from "./providers.ts";
import { runCli } from "../../test/requester/cli.ts";

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
/** The job the first test posts and settles, opened again at phone width. */
let settledJobId: string;

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

/** Nothing on the page reaches past a `width`-px screen's right edge (a wide table scrolls in its own box). */
async function expectFits(page: Page, width: number, what: string) {
  const fit = await screenFit(page, width);
  expect(fit.scrollWidth, `${what} is ${fit.scrollWidth} px wide on a ${width} px screen; past the edge: ${fit.offenders.join("; ") || "(none found)"}`).toBeLessThanOrEqual(width);
}

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
async function postThroughForm(page: Page, p: { dataPath: string; args: string; name: string; dryRunStatus?: string }): Promise<{ id: string; named: string[]; dryRunCid?: string }> {
  await page.getByLabel("WebAssembly program (.wasm)").setInputFiles(join(FIXTURES, "sha256.wasm"));
  await page.getByLabel("Input files").setInputFiles(p.dataPath);
  await page.getByLabel("Arguments").fill(p.args);
  let dryRunCid: string | undefined;
  if (p.dryRunStatus) {
    // The reference sandbox, in a Web Worker of this page, before anything is paid.
    await page.getByTestId("dry-run-button").click();
    const result = page.getByTestId("dry-run-result");
    await result.getByTestId("dry-run-status").filter({ hasText: p.dryRunStatus }).waitFor({ timeout: 120_000 });
    dryRunCid = (await result.getByTestId("dry-run-cid").locator(".mono").getAttribute("title"))!;
  }
  const estimate = page.getByTestId("estimate");
  await estimate.getByRole("button", { name: "Use this price" }).waitFor({ timeout: 30_000 });
  const named = await estimate.getByTestId("estimate-providers").locator("li").evaluateAll((li) => li.map((l) => l.getAttribute("data-provider")!));
  await estimate.getByRole("button", { name: "Use this price" }).click();
  await shot(page, `${p.name}-form`);
  await page.getByTestId("post-submit").click();
  await page.waitForURL(/\/jobs\/\d+$/, { timeout: 90_000 });
  return { id: page.url().split("/").pop()!, named, dryRunCid };
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
  }, BUILD_TIMEOUT_MS + 300_000);

  afterAll(() => stopScene({ context, browser, web, providers, devnet, work }), 60_000);

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

    // argv[0] as the CLI names it (the module's file name), so `accord job dry-run` runs the very same program.
    const { id, named, dryRunCid } = await postThroughForm(page, { dataPath, args: "sha256.wasm\n/input/data.bin", name: "suggested-price", dryRunStatus: "exited with code 0" });
    settledJobId = id;
    expect(new Set(named)).toEqual(new Set(providers.map((p) => p.address)));
    const posted = await job(id);
    expect(posted.maxPrice).toBe("1300065");

    // Every provider the form named bids: none declines the suggested price.
    const awarded = await until(id, (j) => named.every((a) => j.bidBook.some((b) => b.provider === a)), "a bid from every named provider");
    expect(awarded.bidBook.map((b) => b.price).sort()).toEqual(["1000065", "1100065", "1300065"]);
    // Bids show in full: 1.000065, not 1.
    await page.getByText("1.000065 tUSD").first().waitFor({ timeout: 60_000 });
    await page.locator('[data-phase="settlement"][data-status="done"]').waitFor({ timeout: 180_000 });
    // The browser's dry run computed the very result the providers agreed on, and the CLI's dry run does too.
    expect((await job(id)).consensusCid).toBe(dryRunCid);
    const cli = await runCli(["--json", "job", "dry-run", join(FIXTURES, "sha256.wasm"), "--input", `data.bin=${dataPath}`, "--", "/input/data.bin"], {
      ACCORD_CONFIG: join(work, "cli-config.json"),
      ACCORD_RESULT_KEY_FILE: join(work, "cli-result.key"),
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).resultCid).toBe(dryRunCid);
    await shot(page, "suggested-price-settled");
    await page.close();
    expect(consoleErrors).toEqual([]);
  }, 420_000);

  it("shows a program that exited 2 as exit 2 beside the quorum's agreement: on its page, in the lists, and in the market's count", async () => {
    const dataPath = join(work, "data.bin");
    const page = await open("/post", "Post a job");
    await page.getByTestId("wallet-button").filter({ hasText: "0x7099" }).waitFor();
    // sha256 without its file argument prints its usage and exits 2; every provider agrees on that.
    const { id } = await postThroughForm(page, { dataPath, args: "sha256", name: "failed-program", dryRunStatus: "exited with code 2" });
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

  it("refuses, before anything is uploaded or paid, a program no provider can run, in the sandbox's words", async () => {
    const page = await open("/post", "Post a job");
    await page.getByTestId("wallet-button").filter({ hasText: "0x7099" }).waitFor();
    let uploads = 0;
    page.on("request", (r) => r.url().endsWith("/api/content") && uploads++);
    await page.getByLabel("WebAssembly program (.wasm)").setInputFiles(join(FIXTURES, "badimport.wasm"));
    const problem = page.locator("#module-error");
    await problem.getByText('it imports "env"."host_secret"', { exact: false }).waitFor({ timeout: 30_000 });
    await problem.getByText("No provider would run it.", { exact: false }).waitFor();
    await page.getByTestId("estimate").getByRole("button", { name: "Use this price" }).click();
    await page.getByTestId("post-submit").click();
    await page.getByText("1 field needs attention", { exact: false }).waitFor();
    expect(page.url()).toMatch(/\/post$/);
    expect(uploads).toBe(0);
    await shot(page, "refused-module");
    await page.close();
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it("refuses an input too big for the upload before anything is uploaded, in MiB, pointing to the CLI", async () => {
    // 80 MiB (the case), over the server's 64 MiB per file (web/lib/config.ts), written sparse.
    const bigPath = join(work, "frames.tar");
    writeFileSync(bigPath, "");
    truncateSync(bigPath, 80 * 1024 * 1024);
    const page = await open("/post", "Post a job");
    await page.getByTestId("wallet-button").filter({ hasText: "0x7099" }).waitFor();
    let uploads = 0;
    page.on("request", (r) => r.url().endsWith("/api/content") && uploads++);
    await page.getByLabel("WebAssembly program (.wasm)").setInputFiles(join(FIXTURES, "sha256.wasm"));
    await page.getByLabel("Input files").setInputFiles(bigPath);
    const problem = page.locator("#inputs-error");
    await problem.getByText('"frames.tar" is 80.0 MiB; this app uploads files of at most 64.0 MiB.', { exact: false }).waitFor({ timeout: 30_000 });
    await problem.getByText("`accord job submit`", { exact: false }).waitFor();
    expect(await problem.textContent()).not.toContain("CID");
    await page.getByTestId("estimate").getByRole("button", { name: "Use this price" }).click();
    await page.getByTestId("post-submit").click();
    await page.getByText("1 field needs attention", { exact: false }).waitFor();
    expect(page.url()).toMatch(/\/post$/);
    expect(uploads).toBe(0);
    await page.close();
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it("tells, live on an open job, why each provider declined and what to do next", async () => {
    const dataPath = join(work, "data.bin");
    const page = await open("/post", "Post a job");
    await page.getByTestId("wallet-button").filter({ hasText: "0x7099" }).waitFor();
    await page.getByLabel("WebAssembly program (.wasm)").setInputFiles(join(FIXTURES, "sha256.wasm"));
    await page.getByLabel("Input files").setInputFiles(dataPath);
    await page.getByLabel("Arguments").fill("sha256\n/input/data.bin");
    // Below every provider's price: the cheapest asks 1.000065 tUSD.
    await page.getByLabel(/Maximum price per replica/).fill("0.5");
    // A bid window, so the job stays open while the providers are asked.
    await page.getByLabel("Bid window (s)").fill("3600");
    await page.getByTestId("post-submit").click();
    await page.waitForURL(/\/jobs\/\d+$/, { timeout: 90_000 });
    const id = page.url().split("/").pop()!;

    const answers = page.getByTestId("provider-answers");
    for (const [i, p] of providers.entries()) {
      const answer = answers.locator(`li[data-provider="${p.address}"]`);
      const asks = ["1.000065", "1.100065", "1.300065"][i]!;
      await answer.locator('[data-code="price"]').waitFor({ timeout: 90_000 });
      await answer.getByText(`It asks ${asks} tUSD per replica (fuel ${["1", "1.1", "1.3"][i]} tUSD + memory 0.000064 tUSD + input 0.000001 tUSD); the job pays at most 0.5 tUSD.`).waitFor();
      await answer.getByText(`Next step: Cancel this job and post it again at ${asks} tUSD or more per replica`, { exact: false }).waitFor();
    }
    await page.getByRole("link", { name: "Post it again" }).waitFor();
    await shot(page, "declined-job");

    // The same answers on a phone.
    const phone = await open(`/jobs/${id}`, "Why providers have not bid", { width: 390, height: 844 });
    await phone.getByTestId("provider-answers").locator('[data-code="price"]').first().waitFor({ timeout: 60_000 });
    // This context's wallet posted the job: its actions and the providers' answers fit too.
    await phone.getByTestId("cancel-job").click();
    await phone.getByRole("group", { name: "Confirm cancelling" }).waitFor();
    await expectFits(phone, 390, "an open job's page with its providers' answers and the cancel confirmation");
    await phone.getByRole("button", { name: "Keep it" }).click();
    await shot(phone, "declined-job-phone");
    await phone.close();
    await page.close();
    expect(consoleErrors).toEqual([]);
  }, 300_000);

  for (const width of [1280, 390]) {
    it(`blocks posting on the wrong network, says which, and switches the wallet to the market's chain, at ${width} px`, async () => {
      // An injected wallet (what MetaMask puts in the page) whose user moves it to Ethereum
      // mainnet after connecting; it records every signature the page asks for.
      const wallet = await browser.newContext({ viewport: { width, height: 900 } });
      await wallet.addInitScript(INJECTED_WALLET, { address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", chainId: 31337 });
      const page = watch(await wallet.newPage(), "wrong network");
      await page.goto(`${web.url}/post`);
      await page.getByTestId("wallet-button").click();
      await page.getByRole("group", { name: "Wallet" }).getByRole("button", { name: "Injected" }).click();
      await page.getByTestId("wallet-button").filter({ hasText: "0x7099" }).waitFor();
      await page.evaluate(() => (window as unknown as { __wallet: { userSwitches(id: number): void } }).__wallet.userSwitches(1));

      await page.getByTestId("wallet-button").getByText("Wrong network").waitFor();
      const notice = page.getByTestId("wrong-network");
      await notice.getByText("Posting is blocked: wrong network").waitFor();
      await notice.getByText("Your wallet is on Ethereum mainnet (chain 1), but this market is on Hardhat (chain 31337).").waitFor();
      await page.getByLabel("WebAssembly program (.wasm)").setInputFiles(join(FIXTURES, "sha256.wasm"));
      await page.getByTestId("estimate").getByRole("button", { name: "Use this price" }).click();
      await expect(page.getByTestId("post-submit").isDisabled()).resolves.toBe(true);
      await page.getByLabel("Arguments").press("Enter"); // a textarea: no submit; the button is the way, and it is disabled
      expect(await page.evaluate(() => (window as unknown as { __wallet: { signed: string[] } }).__wallet.signed)).toEqual([]);
      await expectFits(page, width, "the post form on the wrong network");
      await shot(page, `wrong-network-${width}`);

      await notice.getByTestId("switch-network").click();
      await notice.waitFor({ state: "detached", timeout: 30_000 });
      await expect(page.getByTestId("post-submit").isEnabled()).resolves.toBe(true);
      expect(await page.evaluate(() => (window as unknown as { __wallet: { chainId: number } }).__wallet.chainId)).toBe(31337);
      await page.close();
      await wallet.close();
      expect(consoleErrors).toEqual([]);
    }, 120_000);
  }

  for (const width of [390, 640]) {
    it(`works on a ${width} px phone: navigation at full size, nothing wider than the screen, copyable ids, readable charts`, async () => {
      const phone = await browser.newContext({ viewport: { width, height: 844 }, isMobile: true, hasTouch: true });
      await phone.grantPermissions(["clipboard-read", "clipboard-write"], { origin: web.url });
      const pages: [string, string][] = [
        ["/", "Recently settled"],
        ["/providers", "Leaderboard"],
        [`/jobs/${settledJobId}`, "Quorum agreed"],
        [`/providers/${providers[0]!.address}`, "Reputation over time"],
        ["/post", "Post a job"],
        // An account page, as a phone without the wallet opens it from a requester's link.
        [`/accounts/${(await job(settledJobId)).requester}`, "Jobs posted"],
        // The jobs list with its filters and pager, and a search that found nothing.
        ["/jobs?per=1", "Every job"],
        ["/search/results?q=nothing-here", "Nothing on this market"],
      ];
      for (const [path, text] of pages) {
        const page = watch(await phone.newPage(), `${width}px ${path}`);
        await page.goto(`${web.url}${path}`);
        await page.getByText(text).first().waitFor({ timeout: 30_000 });
        await expectFits(page, width, path);
        // Every navigation link on screen, at a size a thumb and an eye can use.
        for (const name of ["Market", "Post a job", "Providers", "My jobs & earnings"]) {
          const link = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name });
          const box = (await link.boundingBox())!;
          expect(box.x, `${name} off screen on ${path}`).toBeGreaterThanOrEqual(0);
          expect(box.x + box.width, `${name} off screen on ${path}`).toBeLessThanOrEqual(width);
          expect(box.height).toBeGreaterThanOrEqual(32);
          expect(await link.evaluate((el) => parseFloat(getComputedStyle(el).fontSize))).toBeGreaterThanOrEqual(14);
        }
        // The search box is in reach too, wide enough to type in.
        const search = (await page.getByRole("search", { name: "Search the market" }).getByRole("searchbox").boundingBox())!;
        expect(search.x, `the search box is off screen on ${path}`).toBeGreaterThanOrEqual(0);
        expect(search.x + search.width, `the search box is off screen on ${path}`).toBeLessThanOrEqual(width);
        expect(search.width).toBeGreaterThanOrEqual(160);
        expect(search.height).toBeGreaterThanOrEqual(32);
        // Amounts never wrap digit by digit.
        // (one rect per text node, so count the lines they sit on)
        for (const amount of await page.locator(".amount").all())
          expect(await amount.evaluate((el) => new Set([...el.getClientRects()].map((r) => Math.round(r.top))).size), `an amount wraps on ${path}`).toBeLessThanOrEqual(1);
        // Chart labels are drawn at least 9 px tall.
        for (const label of await page.locator(".chart text").all()) {
          const h = (await label.boundingBox())?.height ?? 0;
          expect(h, `a chart label on ${path} is ${h} px tall`).toBeGreaterThanOrEqual(9);
        }
        await shot(page, `phone-${width}${path.replace(/\W+/g, "-")}`);
        await page.close();
      }

      // The job's id is shortened on screen and copied whole; the navigation reaches My jobs.
      const page = watch(await phone.newPage(), `${width}px copy`);
      await page.goto(`${web.url}/jobs/${settledJobId}`);
      await page.locator(".page-head").getByRole("button", { name: "Copy job id" }).click();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(settledJobId);
      // So are an address and a CID, each by its own button.
      const terms = page.locator("#terms");
      const settled = await job(settledJobId);
      await terms.getByRole("button", { name: "Copy address" }).click();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(settled.requester);
      await terms.getByRole("button", { name: "Copy manifest CID" }).click();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(settled.manifestCid);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My jobs & earnings" }).click();
      await page.waitForURL(/\/me$/);
      await page.getByText("Connect a wallet (top right)").waitFor();
      await page.close();
      await phone.close();
      expect(consoleErrors).toEqual([]);
    }, 180_000);

    it(`fits a ${width} px phone with the requester's wallet connected: every page, the settled job with its result opened and its CLI key shown, the wallet menu`, async () => {
      const phone = await browser.newContext({ viewport: { width, height: 844 }, isMobile: true, hasTouch: true });
      // The development wallet reconnects from what it stored, as for a returning user: account #1, which posted the settled job.
      await phone.addInitScript(() => localStorage.setItem("accord.devWallet", JSON.stringify({ connected: true, index: 1 })));
      const settled = await job(settledJobId);
      const connected = async (path: string, text: string) => {
        const page = watch(await phone.newPage(), `${width}px wallet ${path}`);
        await page.goto(`${web.url}${path}`);
        await page.getByTestId("wallet-button").filter({ hasText: "0x7099" }).waitFor({ timeout: 30_000 });
        await page.getByText(text).first().waitFor({ timeout: 30_000 });
        return page;
      };
      const pages: [string, string][] = [
        [`/jobs/${settledJobId}`, "Quorum agreed"],
        ["/", "Recently settled"],
        ["/jobs", "Every job"],
        ["/providers", "Leaderboard"],
        [`/providers/${providers[0]!.address}`, "Reputation over time"],
        // My jobs: the wallet's account page, with its withdraw button.
        ["/me", "Jobs posted"],
        ["/post", "Post a job"],
        // Results that list a match, and a CID no job names, quoted whole in the notice: one
        // 59-character word, which made the page 690 px wide.
        [`/search/results?q=${settled.consensusCid}`, "1 match for"],
        ["/search/results?q=bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq", "Nothing on this market matches"],
        [`/accounts/${settled.requester}`, "Jobs posted"],
        [`/accounts/${providers[1]!.address}`, "Replicas served"],
      ];
      for (const [path, text] of pages) {
        const page = await connected(path, text);
        await expectFits(page, width, `${path} with the wallet connected`);
        await page.close();
      }

      // The settled job as its requester uses it: the result decrypted, the CLI's key on screen.
      const page = await connected(`/jobs/${settledJobId}`, "Quorum agreed");
      await page.getByTestId("open-result").click();
      await page.getByTestId("result").waitFor({ timeout: 90_000 });
      await page.getByTestId("cli-key-button").click();
      await page.getByTestId("cli-key-secret").waitFor({ timeout: 30_000 });
      await expectFits(page, width, "the settled job with its result and CLI key shown");
      await shot(page, `phone-${width}-wallet-settled-job`);

      // The wallet's menu opens on the screen, not past either edge.
      await page.getByTestId("wallet-button").click();
      const menu = (await page.getByRole("group", { name: "Wallet" }).boundingBox())!;
      expect(menu.x, "the wallet menu runs off the left edge").toBeGreaterThanOrEqual(0);
      expect(menu.x + menu.width, "the wallet menu runs off the right edge").toBeLessThanOrEqual(width);
      await page.getByRole("group", { name: "Wallet" }).getByRole("button", { name: "Disconnect" }).waitFor();
      await expectFits(page, width, "the job page with the wallet menu open");
      await page.close();
      await phone.close();
      expect(consoleErrors).toEqual([]);
    }, 240_000);
  }
});

/**
 * An EIP-1193 wallet injected as window.ethereum, as a browser extension would be: one account,
 * a chain the test moves with __wallet.userSwitches, wallet_switchEthereumChain honoured; reads go
 * to the app's own RPC relay; anything to sign is recorded and refused.
 */
function INJECTED_WALLET({ address, chainId }: { address: string; chainId: number }) {
  const listeners = new Map<string, Set<(v: unknown) => void>>();
  const emit = (event: string, value: unknown) => listeners.get(event)?.forEach((fn) => fn(value));
  const state = {
    chainId,
    signed: [] as string[],
    userSwitches(id: number) {
      state.chainId = id;
      emit("chainChanged", `0x${id.toString(16)}`);
    },
  };
  const SIGNING = new Set(["personal_sign", "eth_sign", "eth_signTypedData_v4", "eth_sendTransaction"]);
  const ethereum = {
    async request({ method, params }: { method: string; params?: unknown[] }): Promise<unknown> {
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return [address];
        case "eth_chainId":
          return `0x${state.chainId.toString(16)}`;
        case "wallet_requestPermissions":
        case "wallet_getPermissions":
          return [{ parentCapability: "eth_accounts" }];
        case "wallet_switchEthereumChain": {
          state.userSwitches(parseInt((params![0] as { chainId: string }).chainId, 16));
          return null;
        }
      }
      if (SIGNING.has(method)) {
        state.signed.push(method);
        throw Object.assign(new Error("User rejected the request."), { code: 4001 });
      }
      const res = await fetch("/api/rpc", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: params ?? [] }) });
      const body = (await res.json()) as { result?: unknown; error?: { message: string; code: number } };
      if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code });
      return body.result;
    },
    on(event: string, fn: (v: unknown) => void) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(fn);
    },
    removeListener(event: string, fn: (v: unknown) => void) {
      listeners.get(event)?.delete(fn);
    },
  };
  Object.assign(window, { ethereum, __wallet: state });
}

