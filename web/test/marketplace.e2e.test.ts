// End to end, in Debian's chromium: a local chain, three real provider nodes (one told to return a
// wrong result), the built web app. A requester posts a job through the form with the built-in
// development wallet, watches it settle, decrypts and downloads the result, and every page opens.
// Then the funds: cancel a job, withdraw the refund, claim a job nobody took past its deadline,
// and a refused action explained.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { parseUnits, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advanceTime, chainOf } from "./chain.ts";
import { BUILD_TIMEOUT_MS, buildWeb, launchBrowser, startDevnet, startWeb, WEB_DIR, type Devnet, type WebServer } from "./harness.ts";
import { stopScene } from "./scene.ts";
import { startTestProvider, type TestProvider } from "./providers.ts";
import { runCli } from "../../test/requester/cli.ts";
import { DEV_ACCOUNTS } from "../../scripts/devnet/accounts.ts";

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
/** What the posted job's program prints: the sha256 of its input. */
let expectedStdout: string;

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
  }, BUILD_TIMEOUT_MS + 300_000);

  afterAll(() => stopScene({ context, browser, web, providers, devnet, work }), 60_000);

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
    expectedStdout = expected;

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
    // The estimate adds memory (64 MiB) and input (under 1 MiB) at a daemon's default rate of one
    // unit per MiB to the dearest ask, 1.5 tUSD; these providers charge fuel alone and bid under it.
    await expect(page.getByLabel(/Maximum price per replica/).inputValue()).resolves.toBe("1.500065");
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

    // This context's wallet connected while posting: "My jobs" is its account page.
    const requester = chainOf(devnet, 1).address;
    const me = await open("/me", "My jobs");
    await me.waitForURL(`${web.url}/accounts/${requester}?from=me`);
    await me.getByRole("link", { name: `Job ${jobId}` }).waitFor();
    await me.getByRole("heading", { name: /^My jobs & earnings/ }).waitFor();
    await shot(me, "my-jobs");
    await me.close();

    const narrow = await context.newPage();
    narrow.on("console", (m) => m.type() === "error" && consoleErrors.push(`mobile: ${m.text()}`));
    await narrow.setViewportSize({ width: 390, height: 844 });
    await narrow.goto(`${web.url}/jobs/${jobId}`);
    // The timeline's own title: the page also announces the phase in a hidden live region.
    await narrow.getByTestId("phases").getByText("Settled: quorum agreed").waitFor();
    await shot(narrow, "job-mobile");
    await narrow.close();

    expect(consoleErrors).toEqual([]);
  }, 180_000);

  it("shows every timeline event of the job with its transaction and block, in the first HTML", async () => {
    const job = (await (await fetch(`${web.url}/api/jobs/${jobId}`)).json()) as { timeline: { kind: string; tx: Hex; block: number }[] };
    // Posted, bids, award, commits, reveals opened, reveals, each replica's settlement, settled.
    expect(job.timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(["posted", "bid", "awarded", "committed", "revealOpened", "revealed", "replicaSettled", "settled"]));
    const pub = chainOf(devnet, 1).pub;
    const html = await (await fetch(`${web.url}/jobs/${jobId}`)).text();
    expect(html.split('data-testid="tx-ref"').length - 1).toBe(job.timeline.length);
    for (const e of job.timeline) {
      // The hash and block shown are the chain's own for that transaction.
      expect(Number((await pub.getTransactionReceipt({ hash: e.tx })).blockNumber)).toBe(e.block);
      expect(html).toContain(`data-tx="${e.tx}"`);
      expect(html).toContain(`data-block="${e.block}"`);
    }
    // The local chain has no explorer: each hash comes with a button that copies it whole.
    const page = await open(`/jobs/${jobId}`, "Settled: quorum agreed");
    const refs = page.getByTestId("phases").getByTestId("tx-ref");
    expect(await refs.count()).toBe(job.timeline.length);
    expect(await page.getByTestId("phases").getByRole("button", { name: "Copy transaction hash" }).count()).toBe(job.timeline.length);
    const settled = job.timeline.find((e) => e.kind === "settled")!;
    await page.locator('[data-kind="settled"]').getByText(`in block ${settled.block}`).waitFor();
    await page.close();
  });

  it("renders an account's jobs on the server, and sends /me there by the wallet's cookie", async () => {
    const requester = chainOf(devnet, 1).address;
    // The first HTML already holds the job rows (rendered markup, not the data the page hydrates
    // from: `href="…"` appears only in markup), before any script runs or a wallet reconnects.
    const html = async (path: string) => {
      const res = await fetch(`${web.url}${path}`);
      expect(res.status).toBe(200);
      return res.text();
    };
    const mine = await html(`/accounts/${requester}`);
    expect(mine).toContain(`href="/jobs/${jobId}"`);
    expect(mine).toContain('data-testid="stat-balance"');
    // Any spelling of the address is the same account.
    expect(await html(`/accounts/${requester.toLowerCase()}`)).toContain(`href="/jobs/${jobId}"`);
    // Someone else's page lists only its own jobs: a provider posted none, and lists the job
    // among the replicas it served; an account that did neither lists no job at all.
    const provider = await html(`/accounts/${providers[0]!.address}`);
    expect(provider).toContain("This account has not posted a job.");
    expect(provider).toContain('aria-label="Provider statistics"');
    expect(provider).toContain(`href="/jobs/${jobId}"`);
    const idle = await html(`/accounts/${chainOf(devnet, 9).address}`);
    expect(idle).toContain("This account has not posted a job.");
    expect(idle).not.toContain('href="/jobs/');
    // An address that is not one says so.
    const browserPage = await context.newPage();
    await browserPage.goto(`${web.url}/accounts/0x1234`);
    await browserPage.getByText('"0x1234" is not an address.').waitFor();
    await browserPage.close();

    // /me with the cookie the page keeps for a connected wallet: a redirect to its account page.
    const remembered = await fetch(`${web.url}/me`, { headers: { cookie: `accord.account=${requester}` }, redirect: "manual" });
    expect(remembered.status).toBe(307);
    expect(new URL(remembered.headers.get("location")!, web.url).href).toBe(`${web.url}/accounts/${requester}?from=me`);
    // Without it (or with a value that is no address) the page waits for the wallet in the browser.
    for (const cookie of [undefined, "accord.account=nonsense"]) {
      const res = await fetch(`${web.url}/me`, { headers: cookie ? { cookie } : {}, redirect: "manual" });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("Looking for your wallet");
    }
    // The connected browser holds that cookie.
    expect((await context.cookies(web.url)).find((c) => c.name === "accord.account")?.value).toBe(requester);

    // A browser that remembers the address but whose wallet is not connected (disconnected in
    // the extension, say) still gets its jobs at once, and is told how to act on them.
    const away = await browser.newContext();
    try {
      await away.addCookies([{ name: "accord.account", value: requester, url: web.url }]);
      const page = await away.newPage();
      await page.goto(`${web.url}/me`);
      expect(page.url()).toBe(`${web.url}/accounts/${requester}?from=me`);
      await page.getByRole("link", { name: `Job ${jobId}` }).waitFor();
      await page.getByTestId("wallet-not-connected").waitFor();
      expect(await page.getByTestId("withdraw-button").count()).toBe(0);
    } finally {
      await away.close();
    }
  });

  describe("a requester's funds", () => {
    /** Dev account #1, the development wallet's default: the requester the page signs for. */
    let me: ReturnType<typeof chainOf>;
    let actions: BrowserContext;

    /** A page in a context of its own whose development wallet is connected (as account #1). */
    async function openConnected(path: string, waitFor: string): Promise<Page> {
      const page = await actions.newPage();
      page.on("console", (m) => m.type() === "error" && consoleErrors.push(`${path}: ${m.text()} ${m.location().url ?? ""}`.trimEnd()));
      page.on("pageerror", (e) => consoleErrors.push(`${path}: ${e.message}`));
      await page.goto(`${web.url}${path}`);
      await page.getByText(waitFor, { exact: false }).first().waitFor({ timeout: 30_000 });
      await connect(page);
      return page;
    }

    async function connect(page: Page) {
      const button = page.getByTestId("wallet-button");
      // The connection persists per context: connect once, later pages reconnect by themselves.
      if (!(await actions.storageState()).origins.some((o) => o.localStorage.some((l) => l.name === "accord.devWallet" && l.value.includes('"connected":true')))) {
        await button.click();
        await page.getByTestId("connect-dev").click();
      }
      await button.filter({ hasText: "0x7099" }).waitFor();
    }

    /** An amount as the page shows it, in base units (the Amount component's title). */
    async function shownUnits(page: Page, testId: string): Promise<bigint> {
      const title = await page.getByTestId(testId).locator(".amount").getAttribute("title");
      return BigInt(title!.split(" ")[0]!);
    }

    beforeAll(async () => {
      me = chainOf(devnet, 1);
      actions = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      consoleErrors.length = 0;
    });

    afterAll(async () => {
      await actions?.close().catch(() => {});
    });

    it("cancels an open job, sees the refund become withdrawable, and withdraws it to the wallet", async () => {
      const { jobId: id, escrow } = await me.postUnbiddableJob({ bidWindowS: 3600 });
      const withdrawableBefore = await me.withdrawable();

      const page = await openConnected(`/jobs/${id}`, "Open for bids");
      await page.getByTestId("cancel-job").click();
      // Cancelling asks first: nothing is sent until it is confirmed.
      await page.getByRole("group", { name: "Confirm cancelling" }).getByText("Cancel this job?").waitFor();
      expect(await me.withdrawable()).toBe(withdrawableBefore);
      await page.getByTestId("confirm-cancel").click();
      await page.getByTestId("tx-confirmed").waitFor({ timeout: 30_000 });
      // The page refreshed from the chain: the job is cancelled and the buttons are gone.
      await page.locator(".page-head").getByText("Cancelled").waitFor();
      await page.getByTestId("cancel-job").waitFor({ state: "detached" });
      expect(await me.withdrawable()).toBe(withdrawableBefore + escrow);
      // A cancelled job does not say "No bids yet".
      await page.getByText("No provider bid before the job was cancelled.").waitFor();
      await shot(page, "job-cancelled");
      await page.close();

      const account = await openConnected("/me", "My jobs");
      await account.getByTestId("withdraw-button").filter({ hasText: /^Withdraw \d/ }).waitFor();
      expect(await shownUnits(account, "stat-withdrawable")).toBe(withdrawableBefore + escrow);
      const balanceBefore = await me.balance();
      expect(await shownUnits(account, "stat-balance")).toBe(balanceBefore);

      await account.getByTestId("withdraw-button").click();
      await account.getByTestId("tx-confirmed").waitFor({ timeout: 30_000 });
      expect(await me.withdrawable()).toBe(0n);
      expect(await me.balance()).toBe(balanceBefore + withdrawableBefore + escrow);
      // The page follows: nothing left to withdraw, and the balance shows the tokens.
      await account.getByTestId("withdraw-button").and(account.locator(":disabled")).waitFor();
      await account.getByTestId("stat-balance").locator(`[title="${balanceBefore + withdrawableBefore + escrow} base units"]`).waitFor();
      expect(await shownUnits(account, "stat-withdrawable")).toBe(0n);
      await shot(account, "withdrawn");
      await account.close();
      expect(consoleErrors).toEqual([]);
    }, 120_000);

    it("claims a job no provider took once its bid deadline has passed, refunding the escrow", async () => {
      const bidWindowS = 120;
      const { jobId: id, escrow } = await me.postUnbiddableJob({ bidWindowS });
      const page = await openConnected(`/jobs/${id}`, "Open for bids");
      // The actions card is drawn from the chain's answer; before the deadline it offers cancel only.
      await page.getByTestId("cancel-job").waitFor();
      expect(await page.getByTestId("claim-job").count()).toBe(0);

      await advanceTime(devnet, bidWindowS);
      const claim = page.getByTestId("claim-job");
      await claim.filter({ hasText: "expire the job and refund the escrow" }).waitFor({ timeout: 30_000 });
      const withdrawableBefore = await me.withdrawable();
      await claim.click();
      await page.getByTestId("tx-confirmed").waitFor({ timeout: 30_000 });
      await page.locator(".page-head").getByText("Expired").waitFor();
      await page.locator('[data-phase="settlement"][data-status="failed"]').waitFor();
      await claim.waitFor({ state: "detached" });
      expect(await me.withdrawable()).toBe(withdrawableBefore + escrow);
      await shot(page, "job-claimed");
      await page.close();
      expect(consoleErrors).toEqual([]);
    }, 120_000);

    it("claims an awarded job whose providers never committed, crediting the escrow (their collateral goes to the treasury)", async () => {
      // Two providers with no node behind them win the job and vanish.
      const gone = [chainOf(devnet, 7), chainOf(devnet, 8)];
      for (const p of gone) await p.registerProvider(parseUnits("100", 6));
      const { jobId: id, escrow } = await me.postJob({ bidWindowS: 0, replicas: 2, quorum: 2 });
      for (const p of gone) await p.bid(id, 900_000n);
      // Bids inside the pool window (docs/PROTOCOL.md, "Pool close and award") wait for it to close;
      // then a pool of exactly k is awarded whole.
      if ((await me.getJob(id)).state === 1) {
        await advanceTime(devnet, 5);
        await me.award(id);
      }
      const collateral = await me.collateralOf(id);
      expect(collateral).toBeGreaterThan(0n);

      const page = await openConnected(`/jobs/${id}`, "Running");
      await page.locator('[data-phase="award"][data-status="done"]').waitFor();

      await advanceTime(devnet, 60); // the commit window
      const claim = page.getByTestId("claim-job");
      await claim.filter({ hasText: "fail the job and refund the escrow" }).waitFor({ timeout: 30_000 });
      const withdrawableBefore = await me.withdrawable();
      await claim.click();
      await page.getByTestId("tx-confirmed").waitFor({ timeout: 30_000 });
      await page.locator(".page-head").getByText("Failed").waitFor();
      await page.getByText("Missed commit").first().waitFor();
      // Slashed collateral never rewards the requester (docs/PROTOCOL.md, "Slashing"): it gets its escrow back.
      expect(await me.withdrawable()).toBe(withdrawableBefore + escrow);
      await shot(page, "job-claimed-failed");
      await page.close();
      expect(consoleErrors).toEqual([]);
    }, 120_000);

    it("explains a refused action in words and refreshes the page", async () => {
      const { jobId: id } = await me.postUnbiddableJob({ bidWindowS: 3600 });
      const page = await actions.newPage();
      // A tab that stopped following the chain (asleep, offline): it still offers to cancel a job
      // the requester has meanwhile cancelled elsewhere, and the contract refuses.
      await page.route("**/api/events", (route) => route.abort());
      await page.goto(`${web.url}/jobs/${id}`);
      await connect(page);
      await page.getByTestId("cancel-job").waitFor();
      await me.cancel(id);
      // The server has seen the cancel (so a refetch tells the truth); the tab has not.
      while ((await (await fetch(`${web.url}/api/jobs/${id}`)).json()).state !== "Cancelled") await sleep(100);
      expect(await page.locator(".page-head").getByText("Open for bids").count()).toBe(1);

      await page.getByTestId("cancel-job").click();
      await page.getByTestId("confirm-cancel").click();
      const notice = page.getByTestId("job-actions").getByRole("alert");
      await notice.getByText("The job was not cancelled").waitFor({ timeout: 30_000 });
      await notice.getByText("This job can no longer be cancelled: it is cancelled now, and only a job still open for bids can be.").waitFor();
      await notice.getByText(/^What to do: .*withdraw it from My jobs & earnings/).waitFor();
      await notice.getByText(/WrongJobState\(/).waitFor();
      // The refusal refetched the job, though the tab hears no blocks.
      await page.locator(".page-head").getByText("Cancelled").waitFor();
      await shot(page, "job-action-refused");
      await page.close();
    }, 60_000);
  });

  it("explains an unknown job instead of failing", async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}/jobs/999`);
    await page.getByText("No job 999 was ever posted on this market.").waitFor();
    await shot(page, "job-not-found");
    await page.close();
  });

  // After the funds tests: besides the settled job, the chain holds two cancelled jobs, one expired
  // and one failed (awarded to accounts #7 and #8, which never committed).
  describe("finding things: search, job lists, history, links", () => {
    type Detail = {
      id: string;
      state: string;
      requester: Hex;
      manifestCid: string;
      consensusCid?: string;
      timeline: { kind: string; tx: Hex; block: number; time: number }[];
      replicaRows: { provider: Hex; resultCid?: string; sealedResultCid?: string; outcome?: string }[];
    };
    type Listed = { jobs: { id: string; state: string; requester: string }[]; total: number; pages: number };
    const api = async <T,>(path: string): Promise<T> => (await (await fetch(`${web.url}${path}`)).json()) as T;
    const html = async (path: string) => {
      const res = await fetch(`${web.url}${path}`);
      expect(res.status, path).toBe(200);
      return res.text();
    };
    /** Where the search box's GET sends the browser. */
    const searched = async (q: string) => {
      const res = await fetch(`${web.url}/search?q=${encodeURIComponent(q)}`, { redirect: "manual" });
      expect(res.status, q).toBe(307);
      return new URL(res.headers.get("location")!, web.url).href.slice(web.url.length);
    };
    let job: Detail;
    beforeAll(async () => {
      job = await api<Detail>(`/api/jobs/${jobId}`);
    });

    it("goes from the header's search box to the job, provider, account or jobs a query names", async () => {
      const requester = chainOf(devnet, 1).address;
      const provider = providers[0]!.address;
      expect(await searched(jobId)).toBe(`/jobs/${jobId}`);
      expect(await searched(` ${provider.toLowerCase()} `)).toBe(`/providers/${provider}`);
      expect(await searched(requester.toLowerCase())).toBe(`/accounts/${requester}`);
      expect(await searched(job.manifestCid)).toBe(`/jobs/${jobId}`);
      expect(await searched(job.consensusCid!)).toBe(`/jobs/${jobId}`);
      expect(await searched(job.replicaRows.find((r) => r.sealedResultCid)!.sealedResultCid!)).toBe(`/jobs/${jobId}`);
      const settled = job.timeline.find((e) => e.kind === "settled")!;
      expect(await searched(settled.tx)).toBe(`/jobs/${jobId}`);
      expect(await searched(`0x${BigInt(jobId).toString(16).padStart(64, "0")}`)).toBe(`/jobs/${jobId}`);

      // A query that names nothing says what it was read as, and which forms the box takes.
      expect(await searched("hello")).toBe("/search/results?q=hello");
      const nothing = await html("/search/results?q=hello");
      expect(nothing).toContain("Nothing on this market matches “hello”.");
      expect(nothing).toContain("a job id (decimal digits, or 0x and 64 hex digits)");
      expect(nothing).toContain("a manifest, result or sealed result CID");
      expect(await searched("999")).toBe("/search/results?q=999");
      expect(await html("/search/results?q=999")).toContain("Read as <!-- -->a job id");
      // The results page lists what matches, linked.
      expect(await html(`/search/results?q=${job.consensusCid}`)).toContain(`href="/jobs/${jobId}"`);

      // In the browser, by keyboard: type in the header's box and press Enter.
      const page = await open("/providers", "Leaderboard");
      const box = page.getByRole("search", { name: "Search the market" }).getByRole("searchbox");
      await box.fill(jobId);
      await box.press("Enter");
      await page.waitForURL(`${web.url}/jobs/${jobId}`);
      await page.getByTestId("phases").getByText("Settled: quorum agreed").waitFor();
      await page.close();
    });

    it("lists every job with filters and pages in the URL, rendered on the server", async () => {
      const all = await api<Listed>("/api/jobs?per=100");
      expect(all.total).toBe(5);
      expect(all.jobs[all.jobs.length - 1]!.id).toBe(jobId); // newest first: the settled job came first
      expect(all.jobs.map((j) => j.state).sort()).toEqual(["Cancelled", "Cancelled", "Expired", "Failed", "Succeeded"]);
      const ids = (l: Listed) => l.jobs.map((j) => j.id);
      expect(ids(await api<Listed>("/api/jobs?state=Succeeded"))).toEqual([jobId]);
      expect((await api<Listed>("/api/jobs?state=cancelled")).jobs.every((j) => j.state === "Cancelled")).toBe(true);
      expect((await api<Listed>("/api/jobs?state=Cancelled")).total).toBe(2);
      expect((await api<Listed>(`/api/jobs?requester=${chainOf(devnet, 1).address.toLowerCase()}`)).total).toBe(5);
      // A provider's jobs are those it bid on: the honest node only the settled one, account #7 only the failed one.
      expect(ids(await api<Listed>(`/api/jobs?provider=${providers[0]!.address}`))).toEqual([jobId]);
      expect((await api<Listed>(`/api/jobs?provider=${chainOf(devnet, 7).address}`)).jobs.map((j) => j.state)).toEqual(["Failed"]);

      // Pages of two: three pages that together are the whole list, in order, each linking the next.
      const seen: string[] = [];
      for (let p = 1; p <= 3; p++) {
        const page = await html(`/jobs?per=2${p > 1 ? `&page=${p}` : ""}`);
        expect(page).toContain(`Page <!-- -->${p}<!-- --> of <!-- -->3`);
        const rows = [...page.matchAll(/href="\/jobs\/(\d+)"/g)].map((m) => m[1]!);
        seen.push(...new Set(rows));
        if (p < 3) expect(page).toContain(`href="/jobs?per=2&amp;page=${p + 1}"`);
        else expect(page).not.toContain('data-testid="page-next"');
      }
      expect(seen).toEqual(ids(all));

      // Filters render on the server too, and a filter that matches nothing says so.
      const succeeded = await html("/jobs?state=Succeeded");
      expect(succeeded).toContain(`href="/jobs/${jobId}"`);
      expect([...succeeded.matchAll(/href="\/jobs\/\d+"/g)]).toHaveLength(1);
      expect(await html(`/jobs?requester=${providers[0]!.address}`)).toContain("No job matches these filters.");
      // Filters that cannot be read are named, with the form to use; the API refuses them with the same words.
      const bad = await html("/jobs?state=Done&requester=0x12");
      expect(bad).toContain("&quot;Done&quot; is not a job state");
      expect(bad).toContain("The requester &quot;0x12&quot; is not an address: write 0x and 40 hex digits.");
      const refused = await fetch(`${web.url}/api/jobs?state=Done`);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: string }).error).toContain('"Done" is not a job state');

      // The market links to the list; in the browser the form filters by keyboard and keeps the URL clean.
      expect(await html("/")).toContain('href="/jobs?state=Open"');
      const page = await open("/jobs", "Every job");
      await page.getByLabel("State").selectOption("Expired");
      await page.getByRole("button", { name: "Filter", exact: true }).click();
      await page.waitForURL(`${web.url}/jobs?state=Expired`);
      await page.getByRole("region", { name: "Matching jobs" }).getByText("Expired").first().waitFor();
      expect(await page.getByRole("region", { name: "Matching jobs" }).getByRole("link", { name: /^Job \d+$/ }).count()).toBe(1);
      await shot(page, "jobs-filtered");
      await page.close();
    });

    it("charts the median winning price over time on the market page, and a provider's earnings on its page", async () => {
      // Winning bids of 1, 1.2 and 1.5 tUSD per 1e9 fuel, all awarded in one bucket: its median is 1.2 tUSD.
      const market = await api<{ priceHistory: { median: string; count: number }[] }>("/api/market");
      expect(market.priceHistory.map((b) => [b.median, b.count])).toEqual([["1200000", 3]]);
      expect(await html("/")).toContain('data-testid="price-history" data-latest="1200000"');
      const page = await open("/", "Price per 10⁹ fuel over time");
      await page.getByRole("img", { name: /^Median winning price per 10⁹ fuel per [^,]+, over 3 awarded replicas; latest 1\.2 tUSD/ }).waitFor();
      await page.close();

      for (const p of [providers[0]!, providers[2]!]) {
        const detail = await api<{ earned: string; slashed: string; earningsHistory: { earned: string; slashed: string }[] }>(`/api/providers/${p.address}`);
        const sum = (k: "earned" | "slashed") => detail.earningsHistory.reduce((s, b) => s + BigInt(b[k]), 0n);
        expect(sum("earned")).toBe(BigInt(detail.earned));
        expect(sum("slashed")).toBe(BigInt(detail.slashed));
        expect(await html(`/providers/${p.address}`)).toContain(`data-testid="earnings-history" data-earned="${detail.earned}"`);
      }
      // The honest node was paid; the one that returned a wrong result was slashed and paid nothing.
      const honest = await api<{ earned: string }>(`/api/providers/${providers[0]!.address}`);
      const faulty = await api<{ earned: string; slashed: string }>(`/api/providers/${providers[2]!.address}`);
      expect(BigInt(honest.earned)).toBeGreaterThan(0n);
      expect([faulty.earned, BigInt(faulty.slashed) > 0n]).toEqual(["0", true]);
    });

    it("links every address shown on every page to its provider or account page", async () => {
      const pages: [string, string][] = [
        ["/", "Recently settled"],
        ["/jobs", "Every job"],
        [`/jobs/${jobId}`, "Settled: quorum agreed"],
        ["/providers", "Leaderboard"],
        [`/providers/${providers[0]!.address}`, "Reputation over time"],
        [`/accounts/${chainOf(devnet, 1).address}`, "Jobs posted"],
        [`/accounts/${providers[2]!.address}`, "Replicas served"],
        ["/search/results?q=hello", "Nothing on this market"],
      ];
      for (const [path, text] of pages) {
        const page = await open(path, text);
        const found = await page.evaluate(() => {
          const ADDRESS = /0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4}(?![0-9a-fA-F])|0x[0-9a-fA-F]{40}(?![0-9a-fA-F])/g;
          const unlinked: string[] = [];
          let linked = 0;
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const el = node.parentElement!;
            // The page's own subject (its heading) and the wallet's own menu are not links elsewhere;
            // a chart bar's <title> is its tooltip, whose label under the bar is the link.
            if (el.closest("h1, .wallet, script, style, option, .visually-hidden, title")) continue;
            for (const m of node.textContent!.matchAll(ADDRESS)) {
              const [head, tail] = m[0].includes("…") ? m[0].split("…") : [m[0], ""];
              const href = el.closest("a")?.getAttribute("href") ?? "";
              const target = /^\/(providers|accounts)\/(0x[0-9a-fA-F]{40})$/.exec(href)?.[2]?.toLowerCase();
              if (target && target.startsWith(head!.toLowerCase()) && target.endsWith(tail!.toLowerCase())) linked++;
              else unlinked.push(`${m[0]} in <${el.tagName.toLowerCase()}> (${href || "no link"})`);
            }
          }
          return { linked, unlinked };
        });
        expect(found.unlinked, path).toEqual([]);
        expect(found.linked, `${path} shows no address at all`).toBeGreaterThan(0);
        await page.close();
      }
    });

    it("shows the wall-clock time of each phase from the timestamps of the blocks of its events", async () => {
      const pub = chainOf(devnet, 1).pub;
      const at = async (kind: string, last = false) => {
        const events = job.timeline.filter((e) => e.kind === kind);
        const e = last ? events[events.length - 1]! : events[0]!;
        return Number((await pub.getBlock({ blockNumber: BigInt(e.block) })).timestamp);
      };
      const [posted, awarded, revealed, settled] = [await at("posted"), await at("awarded"), await at("revealed", true), await at("settled")];
      const page = await html(`/jobs/${jobId}`);
      const seconds = (key: string) => Number(new RegExp(`data-phase-time="${key}" data-seconds="(\\d+)"`).exec(page)?.[1]);
      expect([seconds("bidding"), seconds("running"), seconds("settling"), seconds("total")]).toEqual([awarded - posted, revealed - awarded, settled - revealed, settled - posted]);
      expect(page).toContain("Posted → awarded");
      expect(page).toContain("Last reveal → settled");
      // A job that expired before any award has one phase, ended by its settlement.
      const expired = (await api<Listed>("/api/jobs?state=Expired")).jobs[0]!;
      expect(await html(`/jobs/${expired.id}`)).toContain("Posted → closed without an award");
    });

    it("explains the result bundle on the job page: what it holds, how it was sealed and checked, and the CLI command, with this job's CIDs", async () => {
      const page = await html(`/jobs/${jobId}`);
      // The rendered markup of the explanation, not the data the page hydrates from (which names every CID).
      const start = page.indexOf('data-testid="result-bundle"');
      const explained = page.slice(start, page.indexOf("</section>", start));
      expect(explained).toContain("Exit status");
      expect(explained).toContain("Standard output and standard error");
      expect(explained).toContain("/output");
      expect(explained).toContain("XChaCha20-Poly1305");
      expect(explained).toContain(`npx accord job result ${jobId} --out ./job-${jobId}`);
      expect(explained).toContain(job.consensusCid!);
      // The sealed copies of the agreeing replicas, not the dissenter's.
      const agreed = job.replicaRows.filter((r) => r.outcome === "Agreed");
      const dissented = job.replicaRows.filter((r) => r.outcome === "Dissented");
      expect(agreed).toHaveLength(2);
      expect(dissented).toHaveLength(1);
      for (const r of agreed) expect(explained).toContain(r.sealedResultCid!);
      expect(explained).not.toContain(dissented[0]!.sealedResultCid!);
    });

    it("gives the requester's wallet its result key for the CLI, which then opens the job posted in the browser", async () => {
      // This context's development wallet posted the job: the page offers it the key its signature derives.
      const page = await open(`/jobs/${jobId}`, "Open it with the CLI");
      await page.getByTestId("cli-key-button").click();
      const secret = (await page.getByTestId("cli-key-secret").textContent())!;
      expect(secret).toMatch(/^0x[0-9a-f]{64}$/);
      await shot(page, "job-cli-key");
      await page.close();

      const dir = join(work, "cli");
      mkdirSync(dir, { recursive: true });
      const keyFile = join(dir, "web-result.key");
      writeFileSync(keyFile, `${secret}\n`, { mode: 0o600 });
      const d = devnet.deployment;
      writeFileSync(join(dir, "config.json"), JSON.stringify({ rpcUrl: devnet.rpcUrl, chainId: 31337, jobMarket: d.jobMarket, token: d.token, startBlock: d.startBlock }));
      const out = join(dir, "out");
      const run = await runCli(["job", "result", jobId, "--out", out], {
        ACCORD_CONFIG: join(dir, "config.json"),
        ACCORD_RESULT_KEY_FILE: keyFile,
        ACCORD_PRIVATE_KEY: DEV_ACCOUNTS[1]!.privateKey,
      });
      expect(run.code, run.stderr).toBe(0);
      // The CLI checked the result against the on-chain consensus before writing it.
      expect(readFileSync(join(out, "stdout"), "utf8")).toContain(expectedStdout);
      expect(JSON.parse(readFileSync(join(out, "result.json"), "utf8"))).toMatchObject({ resultCid: job.consensusCid, exitCode: 0 });
    }, 180_000);
  });
});
