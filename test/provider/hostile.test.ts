// Hostile jobs against the provider daemon itself: every hostile module of the sandbox's suite
// is posted at once, beside honest jobs, to two daemons on a real chain. Each hostile job must
// end with a deterministic result that a provider commits and the requester can open (a trap,
// a cap, an exit), never a dead daemon or a worker held to the wall-clock backstop; the honest
// jobs settle with the right bytes in the same run; both daemons are still up and healthy at the
// end. The modules are client/fixtures/wasm/hostile-*.wat and the older C hostiles.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResultStatus } from "../../client/src/sandbox/index.ts";
import { LOG_EVENTS } from "../../provider-node/src/log-events.ts";
import { PROVIDER_KEYS, startMarket, type PostJobParameters, type ProviderProcess, type Requester, type TestMarket } from "./harness.ts";

/** Far below the backstop: a hostile job that needs it has escaped its fuel. */
const WALL_CLOCK_MS = 20_000;
const FUEL = 20_000_000;

type Hostile = { name: string; job: Omit<PostJobParameters, "replicas" | "quorum">; ends: ResultStatus["kind"][] };
const HOSTILE: Hostile[] = [
  // The bomb: 3,000,000 empty iovecs in one fd_write, 100k fuel.
  { name: "iovec bomb", job: { module: "hostile-iovecs.wasm", args: ["hostile-iovecs"], limits: { fuel: 100_000, memoryPages: 400 } }, ends: ["trap"] },
  { name: "fd_read iovec flood", job: { module: "hostile-iovecs.wasm", args: ["hostile-iovecs", "1000000", "0", "1"], limits: { memoryPages: 400 } }, ends: ["trap"] },
  { name: "poll_oneoff flood", job: { module: "hostile-poll.wasm", args: ["hostile-poll", "1000000"], limits: { memoryPages: 1_300 } }, ends: ["trap"] },
  { name: "readdir over a huge directory", job: { module: "hostile-readdir.wasm", args: ["hostile-readdir", "200000"], limits: { outputFiles: 10_000 } }, ends: ["trap", "limit"] },
  { name: "memory.grow a page at a time", job: { module: "hostile-grow.wasm", args: ["hostile-grow"], limits: { memoryPages: 4_096 } }, ends: ["trap", "exit"] },
  { name: "4 KiB paths", job: { module: "hostile-paths.wasm", args: ["hostile-paths", "2048"] }, ends: ["trap", "limit"] },
  { name: "directories piling up", job: { module: "hostile-mkdir.wasm", args: ["hostile-mkdir", "100000", "0", "1"], limits: { outputFiles: 10_000 } }, ends: ["trap", "limit"] },
  { name: "memory bomb", job: { module: "membomb.wasm", args: ["membomb"], limits: { memoryPages: 128 } }, ends: ["trap", "exit"] },
  { name: "stdout flood", job: { module: "flood.wasm", args: ["flood"] }, ends: ["limit"] },
  { name: "deep recursion", job: { module: "recurse.wasm", args: ["recurse"] }, ends: ["trap"] },
  { name: "endless loop", job: { module: "loop.wasm", args: ["loop"] }, ends: ["trap"] },
];
/** The errors of a run that say the machine failed, not the module (provider-node/src/jobs/run.ts). */
const MACHINE_FAULTS = ["WallClockTimeoutError", "SandboxCrashedError", "NondeterministicFailureError"];
const HONEST = ["first honest job", "second honest job", "third honest job"];

let requester: Requester;
let providers: ProviderProcess[];
let m: TestMarket | undefined;

beforeAll(async () => {
  // Room for every job of the test at once: a job declined for capacity is not reconsidered
  // (a separate issue), and this test is about what hostile jobs do to a daemon, not about capacity.
  const args = ["--workers", "2", "--limit", "maxQueuedJobsPerWorker=16"];
  m = await startMarket({ daemons: PROVIDER_KEYS.slice(0, 2).map((k) => ({ privateKey: k.privateKey, args })) });
  ({ requester, providers } = m);
});

afterAll(() => m?.stop());

describe("a provider daemon fed every hostile module at once", { timeout: 240_000 }, () => {
  it("settles each with a deterministic result, keeps settling honest jobs, and stays up", async () => {
    // Posted one after another (one requester account, one nonce), hostile and honest interleaved.
    const posted: Array<{ name: string; id: bigint; hostile?: Hostile }> = [];
    for (const [i, h] of HOSTILE.entries()) {
      posted.push({ name: h.name, hostile: h, id: await requester.postJob({ replicas: 1, quorum: 1, ...h.job, limits: { fuel: FUEL, wallClockMs: WALL_CLOCK_MS, ...h.job.limits } }) });
      if (i % 4 === 0) {
        const name = HONEST[i / 4]!;
        posted.push({ name, id: await requester.postJob({ replicas: 2, quorum: 2, stdin: new TextEncoder().encode(name) }) });
      }
    }

    // Every job's state once all have ended or the time is up, so a failure names each job that did not settle.
    const ended = await Promise.all(posted.map(async (p) => ({ ...p, state: await requester.waitForState(p.id, ["Succeeded", "NoConsensus", "Failed", "Expired"], 150_000).then((i) => i.state, (e: Error) => e.message) })));
    const notSucceeded = ended.filter((e) => e.state !== "Succeeded").map((e) => `${e.name}: ${e.state}`);
    // A hostile module must end in a result every honest machine agrees on, never in a fault of the machine.
    const sandboxErrors = providers.flatMap((p) => p.logs).filter((l) => l.event === LOG_EVENTS.runFailed && MACHINE_FAULTS.includes(l.error as string));
    expect({ notSucceeded, sandboxErrors }).toEqual({ notSucceeded: [], sandboxErrors: [] });

    for (const e of ended) {
      const { reveals } = await requester.outcome(e.id);
      const bundle = await requester.fetchResult(e.id, reveals[0]!);
      if (e.hostile) expect(e.hostile.ends, `${e.name} ended ${JSON.stringify(bundle.status)}`).toContain(bundle.status.kind);
      else expect(new TextDecoder().decode(bundle.stdout)).toBe(e.name);
    }

    for (const p of providers) {
      expect(p.process.exitCode).toBeNull();
      expect(p.process.signalCode).toBeNull();
      const health = await (await fetch(`${p.info.metricsUrl}/health`)).json();
      expect(health).toMatchObject({ status: "ok" });
    }
  });
});
