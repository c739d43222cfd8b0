// Escalation in the browser (issue #13 leftovers), in Debian's chromium against a local chain, real
// provider nodes and the built web app. A requester posts a unanimous two-replica job from the
// form with a cap of three; one of the two providers returns a wrong result, so the first round
// has no quorum and the job escalates; a third provider, started then, takes the new round and the
// job settles. The job page shows both rounds, each checked against the chain's own events.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobMarketAbi } from "@accord/client/abi";
import { getMarketEvents } from "@accord/client/chain";
import { BUILD_TIMEOUT_MS, buildWeb, launchBrowser, startDevnet, startWeb, WEB_DIR, type Devnet, type WebServer } from "./harness.ts";
import { stopScene } from "./scene.ts";
import { startTestProvider, type TestProvider } from "./providers.ts";

const SHOTS = join(WEB_DIR, "..", "test-results", "web");
const FIXTURE = join(WEB_DIR, "..", "client", "fixtures", "wasm", "sha256.wasm");
/** Token units per 1e9 fuel (tUSD has 6 decimals). */
const ASK = 1_000_000n;

let devnet: Devnet;
let web: WebServer;
let browser: Browser;
let context: BrowserContext;
const providers: TestProvider[] = [];
let work: string;
const consoleErrors: string[] = [];
/** JobState.Open (contracts/types/MarketTypes.sol). */
const OPEN = 1;

/**
 * Once the job's book holds `entries` bids, moves the chain's clock past its pool's close if it is
 * still open. The devnet mines a block per transaction, and every award is estimated against the
 * last block: with no transaction after the bids, no block ever passes the close (a live chain's
 * next block would), and the providers' award would wait for one.
 */
async function pastPoolClose(jobId: bigint, entries: number): Promise<void> {
  const pub = devnet.publicClient;
  const read = () => pub.readContract({ address: devnet.deployment.jobMarket, abi: jobMarketAbi, functionName: "getJob", args: [jobId] });
  const until = Date.now() + 120_000;
  let job = await read();
  while (job.state === OPEN && job.bids < entries) {
    if (Date.now() > until) throw new Error(`job ${jobId} has ${job.bids} of ${entries} bids after 120 s`);
    await new Promise((r) => setTimeout(r, 250));
    job = await read();
  }
  if (job.state !== OPEN) return;
  const head = await pub.getBlock({ blockTag: "latest" });
  if (head.timestamp <= job.deadline) await devnet.increaseTime(Number(job.deadline - head.timestamp) + 1);
}

describe("escalation in the web app", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    work = mkdtempSync(join(tmpdir(), "accord-web-escalation-"));
    [devnet] = await Promise.all([startDevnet(), buildWeb()]);
    providers.push(await startTestProvider(devnet, 4, { askPrice: ASK }), await startTestProvider(devnet, 5, { askPrice: ASK, fault: "wrong-result" }));
    web = await startWeb(devnet);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  }, BUILD_TIMEOUT_MS + 300_000);

  afterAll(() => stopScene({ context, browser, web, providers, devnet, work }), 60_000);

  it("posts a job with an escalation cap from the form, and its page shows both rounds once a third provider took the second", async () => {
    const data = randomBytes(10_000);
    const dataPath = join(work, "data.bin");
    writeFileSync(dataPath, data);

    const page: Page = await context.newPage();
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(`${m.text()} ${m.location().url ?? ""}`.trimEnd()));
    page.on("pageerror", (e) => consoleErrors.push(e.message));
    await page.goto(`${web.url}/post`);
    await page.getByText("Post a job").first().waitFor({ timeout: 30_000 });
    await page.getByTestId("wallet-button").click();
    await page.getByTestId("connect-dev").click();
    await page.getByTestId("wallet-button").filter({ hasText: "0x7099" }).waitFor();

    await page.getByLabel("WebAssembly program (.wasm)").setInputFiles(FIXTURE);
    await page.getByLabel("Input files").setInputFiles(dataPath);
    await page.getByLabel("Arguments").fill("sha256\n/input/data.bin");
    await page.getByLabel("Replicas", { exact: true }).fill("2");
    await page.getByLabel("Quorum").fill("2");
    // The contract's bounds speak before anything is sent: a cap below the replicas is refused.
    await page.getByLabel("Most replicas if results disagree").fill("1");
    await page.getByText("From 2 (the replicas: no escalation) to 16 replicas in all").waitFor();
    await page.getByLabel("Most replicas if results disagree").fill("3");
    await page.getByTestId("estimate").getByRole("button", { name: "Use this price" }).click();
    const maxPrice = await page.getByLabel(/Maximum price per replica/).inputValue();
    // The escrow covers the cap: three replicas, the third paid only if the job escalates.
    await page.getByTestId("escrow").filter({ hasText: "for 3 replicas" }).waitFor();
    await expect(page.getByTestId("escrow-escalation").textContent()).resolves.toContain("The 1 replica beyond the first 2 is paid only if the reveals disagree");
    await expect(page.getByTestId("trust-odds").textContent()).resolves.toContain("up to 3 replicas in all");
    await page.screenshot({ path: join(SHOTS, "post-form-escalation.png"), fullPage: true });

    await page.getByTestId("post-submit").click();
    await page.waitForURL(/\/jobs\/\d+$/, { timeout: 60_000 });
    const jobId = BigInt(page.url().split("/").pop()!);

    // What the chain holds: the cap, and an escrow for three replicas at the price the form offered.
    const pub = devnet.publicClient;
    const market = devnet.deployment.jobMarket;
    const view = await pub.readContract({ address: market, abi: jobMarketAbi, functionName: "getJob", args: [jobId] });
    expect([view.replicas, view.quorum, view.maxReplicas]).toEqual([2, 2, 3]);
    const params = await pub.readContract({ address: market, abi: jobMarketAbi, functionName: "parameters" });
    const units = BigInt(Math.round(Number(maxPrice) * 1e6));
    expect(view.maxPrice).toBe(units);
    const posted = (await getMarketEvents(pub, { address: market, fromBlock: BigInt(devnet.deployment.startBlock), toBlock: await pub.getBlockNumber({ cacheTime: 0 }), events: ["JobPosted"], jobId }))[0]!;
    expect(posted.args.escrow).toBe(3n * units + (3n * units * BigInt(params.protocolFeeBps)) / 10_000n);
    // The terms show the cap, which JobPosted carries only through that escrow.
    await expect(page.locator("#terms dt", { hasText: "Most replicas if results disagree" }).locator("xpath=following-sibling::dd[1]").textContent()).resolves.toBe("3");

    await pastPoolClose(jobId, 2);
    // The wrong result leaves no quorum: the page shows the rounds as soon as the job escalates.
    await page.getByTestId("round").first().waitFor({ timeout: 120_000 });
    await page.locator('[data-testid="round"][data-round="0"] [data-testid="round-end"][data-end="escalated"]').waitFor({ timeout: 30_000 });
    providers.push(await startTestProvider(devnet, 6, { askPrice: ASK }));
    await pastPoolClose(jobId, 3);
    await page.locator('[data-testid="round"][data-round="1"] [data-testid="round-end"][data-end="settled"]').waitFor({ timeout: 180_000 });

    const events = await getMarketEvents(pub, { address: market, fromBlock: BigInt(devnet.deployment.startBlock), toBlock: await pub.getBlockNumber({ cacheTime: 0 }), jobId });
    const escalated = events.filter((e) => e.eventName === "JobEscalated");
    expect(escalated).toHaveLength(1);
    const [honest, wrong, late] = providers.map((p) => p.address.toLowerCase());
    const round = (n: number) => page.locator(`[data-testid="round"][data-round="${n}"]`);
    const replicasOf = async (n: number) => (await round(n).getByTestId("round-replica").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-provider")!.toLowerCase()))).sort();
    expect(await replicasOf(0)).toEqual([honest, wrong].sort());
    expect(await replicasOf(1)).toEqual([late]);
    // The escalation is linked to its transaction; the dissenter is marked as differing and slashed.
    await expect(round(0).locator('[data-testid="round-end"] [data-testid="tx-ref"]').getAttribute("data-tx")).resolves.toBe(escalated[0]!.transactionHash as Hex);
    await expect(round(1).locator('[data-testid="tx-ref"]').first().getAttribute("data-tx")).resolves.toBe(escalated[0]!.transactionHash as Hex);
    await round(0).locator(`[data-provider="${wrong}" i]`).getByText("Dissented").waitFor();
    await round(0).locator(`[data-provider="${wrong}" i]`).getByText("differs").waitFor();
    await round(1).locator(`[data-provider="${late}" i]`).getByText("Agreed").waitFor();
    await expect(round(1).getByTestId("round-end").textContent()).resolves.toContain("Quorum agreed");
    // The requester was repaid the third replica out of the dissenter's collateral.
    const restituted = events.find((e) => e.eventName === "Restituted")!;
    expect(restituted).toBeDefined();
    await expect(page.getByTestId("restitution").locator('[data-testid="tx-ref"]').getAttribute("data-tx")).resolves.toBe(restituted.transactionHash as Hex);
    await expect(page.getByTestId("restitution").locator(`[title="${(restituted.args as { amount: bigint }).amount} base units"]`).count()).resolves.toBe(1);
    await page.screenshot({ path: join(SHOTS, "job-rounds.png"), fullPage: true });
    await page.close();
    expect(consoleErrors).toEqual([]);
  }, 600_000);
});
