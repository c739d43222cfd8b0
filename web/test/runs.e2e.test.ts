// The batch page (issue #18, web app) in Debian's chromium against a local chain, real provider
// nodes and the built web app. The requester runs four tiles of the tiles example with the SDK's
// runTasks, two replicas each. One provider is running at first, so every task waits for its
// second bid and the page opens on a grid of four waiting cells; a second provider then fills
// them, and the page, never reloaded, fills as the jobs settle. The requester's wallet shows the
// results: each tile, decrypted in the browser and drawn on a canvas, must be the pixels the
// example's assembler builds from the results runTasks verified, at the place it builds them.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { bytesToHex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccordClient, type AccordClient } from "@accord/client";
import { RESULT_KEY_MESSAGE, resultKeyFromSignature } from "@accord/client/seal";
import { loadTaskSpec, runTasks, type RunState, type TaskResult } from "@accord/client/tasks";
import { DEV_ACCOUNTS } from "../../scripts/devnet/accounts.ts";
import { runCli } from "../../test/requester/cli.ts";
import { assemble, parseTile } from "../../examples/tiles/assemble.ts";
import type { RunDetail } from "../lib/types.ts";
import { screenFit } from "./fits-screen.ts";
import { BUILD_TIMEOUT_MS, buildWeb, launchBrowser, startDevnet, startWeb, WEB_DIR, type Devnet, type WebServer } from "./harness.ts";
import { stopScene } from "./scene.ts";
import { startTestProvider, type TestProvider } from "./providers.ts";

const SHOTS = join(WEB_DIR, "..", "test-results", "web");
const TILES = join(WEB_DIR, "..", "examples", "tiles");
/** The development wallet's account (web/lib/wallet/dev-accounts.ts, DEFAULT_DEV_ACCOUNT). */
const REQUESTER = DEV_ACCOUNTS[1]!;
/** Token units per 1e9 fuel (tUSD has 6 decimals). */
const ASK = 1_000_000n;
const TASKS = 4;

let devnet: Devnet;
let web: WebServer;
let browser: Browser;
let context: BrowserContext;
const providers: TestProvider[] = [];
let work: string;
let client: AccordClient;
let runId: string;
let run: Promise<TaskResult[]>;
const consoleErrors: string[] = [];

/** Polls `read` until it gives a value (not undefined), or fails naming `what`. */
async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const runAnswer = async () => {
  const res = await fetch(`${web.url}/api/runs/${runId}`);
  return res.ok ? ((await res.json()) as RunDetail) : undefined;
};

function watchConsole(page: Page) {
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(`${m.text()} ${m.location().url ?? ""}`.trimEnd()));
  page.on("pageerror", (e) => consoleErrors.push(e.message));
}

async function connectDevWallet(page: Page) {
  await page.getByTestId("wallet-button").click();
  await page.getByTestId("connect-dev").click();
  await page.getByTestId("wallet-button").filter({ hasText: "0x7099" }).waitFor();
}

/** Each cell's task, job, state and canvas pixels (RGB), in the grid's order. */
function gridCells(page: Page) {
  return page.getByTestId("run-cell").evaluateAll((cells) =>
    cells.map((cell) => {
      const canvas = cell.querySelector("canvas");
      const ctx = canvas?.getContext("2d");
      const rgba = canvas && ctx ? ctx.getImageData(0, 0, canvas.width, canvas.height).data : undefined;
      return {
        task: cell.getAttribute("data-task")!,
        job: cell.getAttribute("data-job")!,
        state: cell.getAttribute("data-state")!,
        width: canvas?.width ?? 0,
        height: canvas?.height ?? 0,
        rgb: rgba ? Array.from(rgba).filter((_, i) => i % 4 !== 3) : [],
      };
    }),
  );
}

describe("a run's page in the web app", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    work = mkdtempSync(join(tmpdir(), "accord-web-runs-"));
    [devnet] = await Promise.all([startDevnet(), buildWeb()]);
    // One provider only: every task gets one bid of the two it needs and waits for the second.
    providers.push(await startTestProvider(devnet, 4, { askPrice: ASK }));
    web = await startWeb(devnet);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // The key the development wallet's signature gives, as the page derives it: the results are sealed to it.
    const account = privateKeyToAccount(REQUESTER.privateKey);
    client = createAccordClient({
      chain: hardhat,
      transport: http(devnet.rpcUrl),
      account,
      deployment: devnet.deployment,
      node: { dataDir: join(work, "requester") },
      resultKey: resultKeyFromSignature(await account.signMessage({ message: RESULT_KEY_MESSAGE })),
      pollingIntervalMs: 100,
    });
  }, BUILD_TIMEOUT_MS + 300_000);

  afterAll(async () => {
    await client?.close().catch(() => {});
    await stopScene({ context, browser, web, providers, devnet, work });
  }, 60_000);

  it("opens on the tasks waiting for bids, fills as they settle, and draws each decrypted tile where the example's assembler puts it", async () => {
    copyFileSync(join(TILES, "render.wasm"), join(work, "render.wasm"));
    const spec = join(work, "tiles.json");
    writeFileSync(
      spec,
      JSON.stringify({
        module: "render.wasm",
        args: ["render", "--size", "64", "--tiles", "2", "--iterations", "64"],
        limits: { fuel: 100_000_000, memoryPages: 64, wallClockMs: 30_000 },
        trust: { replicas: 2, quorum: 2 },
        price: { maxPrice: "0.5" },
        generate: { range: { from: 0, to: TASKS - 1 } },
        task: { name: "tile-{value}", args: ["{value}"] },
      }),
    );
    const state = join(work, "tiles-out.accord-run.json");
    const bag = await loadTaskSpec(spec);
    run = (async () => {
      const out: TaskResult[] = [];
      for await (const item of runTasks(client, bag, { state })) {
        if (!item.ok) throw new Error(`task ${item.task} was given up: ${item.reason}`);
        out.push(item);
      }
      return out;
    })();
    run.catch(() => {}); // awaited below; a failure before then must not be an unhandled rejection
    runId = await until("the run's state file names its run id", async () => (JSON.parse(readFileSync(state, "utf8")) as RunState).runId);
    // The server finds the run's jobs by their manifests, which it reads from the network.
    const waiting = await until("the server shows the run's four tasks", async () => {
      const r = await runAnswer();
      return r && r.cells.length === TASKS && r.cells.every((c) => c.state === "waiting") ? r : undefined;
    });
    expect(waiting.requester.toLowerCase()).toBe(REQUESTER.address.toLowerCase());
    expect(waiting.counts).toEqual({ waiting: TASKS, running: 0, verified: 0, failed: 0 });

    // The first HTML already holds the grid.
    const html = await (await fetch(`${web.url}/runs/${runId}`)).text();
    expect(html.match(/data-testid="run-cell"/g)?.length).toBe(TASKS);

    const page = await context.newPage();
    watchConsole(page);
    await page.goto(`${web.url}/runs/${runId}`);
    await expect(page.getByTestId("run-cell").count()).resolves.toBe(TASKS);
    expect((await gridCells(page)).map((c) => [c.task, c.state])).toEqual([0, 1, 2, 3].map((i) => [`tile-${i}`, "waiting"]));
    await expect(page.getByTestId("run-waiting").textContent()).resolves.toContain(String(TASKS));
    await expect(page.getByTestId("run-grid").getAttribute("data-columns")).resolves.toBe("2");
    await connectDevWallet(page);
    // The key is derived now; no task is verified yet, so nothing is opened until they are.
    await page.getByTestId("show-results").click();
    await page.getByTestId("show-results").filter({ hasText: "Results shown" }).waitFor();
    await page.screenshot({ path: join(SHOTS, "run-waiting.png"), fullPage: true });

    // A second provider fills every task; the page follows the chain without a reload.
    providers.push(await startTestProvider(devnet, 5, { askPrice: ASK }));
    const results = await run;
    expect(results.map((r) => r.task).sort()).toEqual(["tile-0", "tile-1", "tile-2", "tile-3"]);
    await page.getByTestId("run-done").filter({ hasText: `${TASKS} of ${TASKS}` }).waitFor({ timeout: 120_000 });
    await page.locator('[data-testid="cell-picture"]').nth(TASKS - 1).waitFor({ timeout: 120_000 });
    await expect(page.getByTestId("cell-error").count()).resolves.toBe(0);

    // What the page drew, cell by cell, against what runTasks verified and the assembler builds.
    const cells = await gridCells(page);
    const byTask = new Map(results.map((r) => [r.task, r]));
    expect(cells.map((c) => [c.task, c.state, c.job])).toEqual([0, 1, 2, 3].map((i) => [`tile-${i}`, "verified", String(byTask.get(`tile-${i}`)!.jobId)]));
    const tiles = results.map((r) => parseTile(r.stdout, r.task));
    const picture = assemble(tiles);
    // The grid's cells, two by two in task order, are the picture: each canvas is the tile the
    // assembler puts at that cell's place.
    const side = tiles[0]!.w;
    const drawn = new Uint8Array(picture.size * picture.size * 3);
    cells.forEach((c, i) => {
      expect([c.width, c.height], c.task).toEqual([side, side]);
      const x0 = (i % 2) * side;
      const y0 = Math.floor(i / 2) * side;
      for (let row = 0; row < side; row++) drawn.set(c.rgb.slice(row * side * 3, (row + 1) * side * 3), ((y0 + row) * picture.size + x0) * 3);
    });
    expect(Buffer.from(drawn).equals(Buffer.from(picture.rgb)), "the grid's canvases differ from the assembled picture").toBe(true);
    // Four distinct tiles, not one picture repeated: the comparison above could tell them apart.
    expect(new Set(cells.map((c) => Buffer.from(c.rgb).toString("base64"))).size).toBe(TASKS);

    const done = (await runAnswer())!;
    expect(done.counts).toEqual({ waiting: 0, running: 0, verified: TASKS, failed: 0 });
    // Spent: each job's escrow net of its refund, as the chain settled it and runTasks counted it.
    expect(BigInt(done.spent)).toBe(results.reduce((s, r) => s + r.paid, 0n));
    expect(done.escrowed).toBe("0");
    await page.screenshot({ path: join(SHOTS, "run-pictures.png"), fullPage: true });
    await page.close();
    expect(consoleErrors).toEqual([]);
  }, 600_000);

  it("is linked from its jobs' pages and the requester's account page, found by search, and fits a phone with its pictures", async () => {
    const detail = (await runAnswer())!;
    const page = await context.newPage();
    watchConsole(page);
    await page.goto(`${web.url}/jobs/${detail.cells[2]!.jobId}`);
    const link = page.getByTestId("job-run");
    await link.getByText("tile-2").waitFor({ timeout: 60_000 });
    await expect(link.getByRole("link").getAttribute("href")).resolves.toBe(`/runs/${runId}`);

    await page.goto(`${web.url}/accounts/${REQUESTER.address}`);
    const row = page.locator(`[data-testid="run-row"][data-run="${runId}"]`);
    await row.waitFor({ timeout: 30_000 });
    await expect(row.textContent()).resolves.toContain(String(TASKS));
    await row.getByRole("link").click();
    await page.waitForURL(`${web.url}/runs/${runId}`);

    for (const q of [runId, `accord-run/${runId}/tile-1/1`]) {
      await page.goto(`${web.url}/search?q=${encodeURIComponent(q)}`);
      await page.waitForURL(`${web.url}/runs/${runId}`);
    }
    await page.close();

    // `accord run` on the same spec and state resumes a finished run, and says where its page is.
    const d = devnet.deployment;
    writeFileSync(join(work, "cli-config.json"), JSON.stringify({ rpcUrl: devnet.rpcUrl, chainId: d.chainId, jobMarket: d.jobMarket, token: d.token, startBlock: d.startBlock }));
    // The key the job page's CLI card gives the requester: the secret half of the wallet-derived key.
    writeFileSync(join(work, "cli-result.key"), `${bytesToHex(client.resultKey!.secretKey)}\n`, { mode: 0o600 });
    const cli = await runCli(["run", join(work, "tiles.json"), "--yes", "--out", join(work, "tiles-out")], {
      ACCORD_CONFIG: join(work, "cli-config.json"),
      ACCORD_PRIVATE_KEY: REQUESTER.privateKey,
      ACCORD_RESULT_KEY_FILE: join(work, "cli-result.key"),
      ACCORD_DATA_DIR: join(work, "cli-data"),
      ACCORD_WEB_URL: `${web.url}/`,
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toContain(`follow the run in the web app: ${web.url}/runs/${runId}\n`);

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      await phone.addInitScript(() => localStorage.setItem("accord.devWallet", JSON.stringify({ connected: true, index: 1 })));
      const p = await phone.newPage();
      watchConsole(p);
      await p.goto(`${web.url}/runs/${runId}`);
      await p.getByTestId("show-results").filter({ hasText: "Show results" }).waitFor();
      await p.getByTestId("wallet-button").filter({ hasText: "0x7099" }).waitFor();
      await p.getByTestId("show-results").click();
      await p.locator('[data-testid="cell-picture"]').nth(TASKS - 1).waitFor({ timeout: 120_000 });
      const fit = await screenFit(p, 390);
      expect(fit.scrollWidth, `the run page is ${fit.scrollWidth} px wide on a 390 px screen; past the edge: ${fit.offenders.join("; ") || "(none found)"}`).toBeLessThanOrEqual(390);
      await p.screenshot({ path: join(SHOTS, "run-phone.png"), fullPage: true });
    } finally {
      await phone.close();
    }
    expect(consoleErrors).toEqual([]);
  }, 300_000);
});
