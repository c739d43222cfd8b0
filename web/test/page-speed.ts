// `npm run bench:web`: time from navigation to first data on each page of the web app, in
// Debian's chromium, against a local chain with Accord deployed, three provider nodes, one open
// job and the built app (`next start`). "First data" is the moment the page's data element is
// in the document (a MutationObserver installed before the page's own code records
// performance.now(), which counts from navigation start), so a page that renders a spinner and
// fetches later is timed when its data arrives, not when its HTML does.
// - first_data_ms.<page>: median over BENCH_WEB_RUNS fresh page loads (default 5), each in a
//   new browser context (no cache), after one untimed load that warms the server;
// - first_data_ms_worst: the slowest page's median (target <= 1000 on an idle machine).
// /me ("My jobs") is timed as for a returning user: the development wallet connected before
// navigation and the cookie the page keeps for it, by which the server redirects /me to the
// wallet's account page (web/proxy.ts); the redirect counts in its time. "account" is that page
// opened from a link, with no wallet. "jobs" is the job list filtered by the URL; "search" is the
// header's search box sent a job id: the server's redirect to the job page counts in its time.
// "run" is a bag of tasks' grid (/runs/<runId>): one unbiddable job whose manifest, uploaded to
// the app's own node, carries the run's nonce, so the server reads it without waiting on the network.
// Writes bench/results/web.json with the machine's load average beside the figures.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { randomBytes } from "node:crypto";
import { CID } from "multiformats/cid";
import { bytesToHex } from "viem";
import { cidOfBytes } from "@accord/client/content/cid";
import { encodeManifest } from "@accord/client/manifest";
import { ACCOUNT_COOKIE } from "../lib/account-cookie.ts";
import { chainOf } from "./chain.ts";
import { buildWeb, launchBrowser, startDevnet, startWeb, type Devnet, type WebServer } from "./harness.ts";
import { startTestProvider, type TestProvider } from "./providers.ts";

const RUNS = Number(process.env.BENCH_WEB_RUNS ?? 5);
const TARGET_MS = 1_000;
const PAGE_TIMEOUT_MS = 60_000;
const ROOT = join(import.meta.dirname, "..", "..");

/** Records when `selector` first matches, from before the page's first byte is parsed. */
const FIRST_DATA_PROBE = (selector: string) => {
  const w = window as unknown as { __firstData?: number };
  const check = () => {
    if (w.__firstData === undefined && document.querySelector(selector)) w.__firstData = performance.now();
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", check);
};

/** `wallet`: the address a returning user's browser has connected and remembers. */
type PageCase = { name: string; path: string; selector: string; wallet?: string };

async function timeLoad(browser: Browser, url: string, c: PageCase): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    // The development wallet reconnects from localStorage on load, as for a returning user.
    if (c.wallet) {
      await context.addInitScript(() => localStorage.setItem("accord.devWallet", JSON.stringify({ connected: true, index: 1 })));
      await context.addCookies([{ name: ACCOUNT_COOKIE, value: c.wallet, url }]);
    }
    await context.addInitScript(FIRST_DATA_PROBE, c.selector);
    const page = await context.newPage();
    await page.goto(`${url}${c.path}`);
    const handle = await page.waitForFunction(() => (window as unknown as { __firstData?: number }).__firstData, undefined, { timeout: PAGE_TIMEOUT_MS, polling: 50 });
    return Number(await handle.jsonValue());
  } finally {
    await context.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** A manifest of one task of run `runId`, pinned by the app's node as the post form's are; its CID. */
async function uploadRunManifest(url: string, runId: string): Promise<CID> {
  const manifest = encodeManifest({
    version: 1,
    runtime: "wasi-preview1",
    module: (await cidOfBytes(randomBytes(32))).toString(),
    args: ["task"],
    env: {},
    inputs: {},
    limits: { fuel: 1_000_000, memoryPages: 16, stdoutBytes: 1024, stderrBytes: 1024, outputFiles: 0, outputBytes: 0, wallClockMs: 10_000 },
    resultPublicKey: bytesToHex(randomBytes(32)),
    nonce: `accord-run/${runId}/task-0/1`,
  });
  const form = new FormData();
  form.append("manifest", new Blob([manifest as BlobPart]), "manifest.json");
  const res = await fetch(`${url}/api/content`, { method: "POST", body: form });
  if (!res.ok) throw new Error(`uploading the run's manifest: ${res.status} ${await res.text()}`);
  return CID.parse(((await res.json()) as { cid: string }[])[0]!.cid);
}

let devnet: Devnet | undefined;
let web: WebServer | undefined;
let browser: Browser | undefined;
const providers: TestProvider[] = [];
try {
  [devnet] = await Promise.all([startDevnet(), buildWeb()]);
  for (const [i, askPrice] of [1_000_000n, 1_200_000n, 1_500_000n].entries()) providers.push(await startTestProvider(devnet, 4 + i, { askPrice }));
  const requester = chainOf(devnet, 1); // the development wallet's default account
  const { jobId } = await requester.postUnbiddableJob({ bidWindowS: 3600 });
  web = await startWeb(devnet);
  const runId = randomBytes(8).toString("hex");
  await requester.postUnbiddableJob({ bidWindowS: 3600, manifestCid: await uploadRunManifest(web.url, runId) });
  browser = await launchBrowser();

  const cases: PageCase[] = [
    { name: "market", path: "/", selector: '[aria-label="Market statistics"]' },
    { name: "providers", path: "/providers", selector: "#leaderboard table" },
    { name: "provider", path: `/providers/${providers[0]!.address}`, selector: '[aria-label="Provider statistics"]' },
    { name: "job", path: `/jobs/${jobId}`, selector: '[data-testid="phases"]' },
    { name: "post", path: "/post", selector: "form .fieldset" },
    { name: "me", path: "/me", selector: '[data-testid="stat-balance"]', wallet: requester.address },
    { name: "account", path: `/accounts/${requester.address}`, selector: '[data-testid="stat-balance"]' },
    { name: "jobs", path: "/jobs?state=Open", selector: "#jobs table" },
    // The search box's GET: a redirect to the job page, whose timeline is its first data.
    { name: "search", path: `/search?q=${jobId}`, selector: '[data-testid="phases"]' },
    { name: "run", path: `/runs/${runId}`, selector: '[data-testid="run-grid"]' },
  ];
  const runs: Record<string, number[]> = {};
  for (const c of cases) {
    await timeLoad(browser, web.url, c); // warms the server's route and index
    runs[c.name] = [];
    for (let i = 0; i < RUNS; i++) runs[c.name]!.push(await timeLoad(browser, web.url, c));
  }
  const firstData = Object.fromEntries(cases.map((c) => [c.name, Math.round(median(runs[c.name]!))]));
  const worst = Math.max(...Object.values(firstData));
  console.log("page        first data (median ms)   runs");
  for (const c of cases) console.log(`${c.name.padEnd(12)}${String(firstData[c.name]).padStart(8)}                 ${runs[c.name]!.map((r) => Math.round(r)).join(" ")}`);
  console.log(`worst: ${worst} ms (target <= ${TARGET_MS}: ${worst <= TARGET_MS ? "met" : "not met"}); load average ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} cores`);
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  const result = {
    first_data_ms_worst: worst,
    target_ms: TARGET_MS,
    first_data_ms: firstData,
    runs_ms: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.map((r) => Math.round(r))])),
    runs: RUNS,
    load_average_1m: Number(loadavg()[0]!.toFixed(2)),
    cores: availableParallelism(),
    measured_at: new Date().toISOString(),
  };
  writeFileSync(join(ROOT, "bench", "results", "web.json"), JSON.stringify(result, null, 2) + "\n");
  console.log("wrote bench/results/web.json");
} finally {
  await browser?.close().catch(() => {});
  await web?.stop().catch(() => {});
  for (const p of providers) await p.provider.stop().catch(() => {});
  await devnet?.stop().catch(() => {});
}
