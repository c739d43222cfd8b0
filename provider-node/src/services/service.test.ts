import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { everyService, ServiceStack, type ProviderService } from "./service.ts";

function recorder() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: "info" }, new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
  return { log, lines };
}

const named = (name: string, events: string[], fail?: "start" | "stop"): ProviderService => ({
  name,
  async start() {
    if (fail === "start") throw new Error(`${name} cannot start`);
    events.push(`start ${name}`);
  },
  stop() {
    events.push(`stop ${name}`);
    if (fail === "stop") throw new Error(`${name} cannot stop`);
  },
});

describe("ServiceStack", () => {
  it("stops services in the reverse of the order they started, and each once", async () => {
    const events: string[] = [];
    const stack = new ServiceStack(recorder().log);
    for (const name of ["journal", "node", "watcher"]) await stack.start(named(name, events));
    await stack.stop();
    await stack.stop();
    expect(events).toEqual(["start journal", "start node", "start watcher", "stop watcher", "stop node", "stop journal"]);
  });

  it("a service that fails to stop is logged by name and the ones before it still stop", async () => {
    const events: string[] = [];
    const { log, lines } = recorder();
    const stack = new ServiceStack(log);
    await stack.start(named("journal", events));
    await stack.start(named("node", events, "stop"));
    await stack.stop();
    expect(events).toEqual(["start journal", "start node", "stop node", "stop journal"]);
    expect(lines.find((l) => l.msg === "error while stopping")).toMatchObject({ service: "node", err: { message: "node cannot stop" } });
  });

  it("a service that fails to start is not stopped; the ones started before it are", async () => {
    const events: string[] = [];
    const stack = new ServiceStack(recorder().log);
    await stack.start(named("journal", events));
    await expect(stack.start(named("node", events, "start"))).rejects.toThrow("node cannot start");
    await stack.stop();
    expect(events).toEqual(["start journal", "stop journal"]);
  });
});

describe("everyService", () => {
  it("runs its task on each interval, never two at once, and not after stop", async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    let release = () => {};
    const service = everyService("slow task", 5, async () => {
      running++;
      most = Math.max(most, running);
      runs++;
      // The first run holds on until released, across many intervals.
      if (runs === 1) await new Promise<void>((r) => (release = r));
      running--;
    });
    service.start();
    await expect.poll(() => runs, { timeout: 10_000 }).toBe(1);
    // Several intervals pass while the first run is held: none starts beside it.
    await new Promise((r) => setTimeout(r, 50));
    expect(runs).toBe(1);
    release();
    await expect.poll(() => runs, { timeout: 10_000 }).toBeGreaterThan(2);
    await service.stop();
    const stoppedAt = runs;
    await new Promise((r) => setTimeout(r, 50));
    expect(runs).toBe(stoppedAt);
    expect(most).toBe(1);
  });
});
