/** memory.grow's fuel: a fixed FUEL_PER_MEMORY_GROW a call plus 1024 a page, charged before it runs. */
import { afterAll, describe, expect, it } from "vitest";
import { FUEL_PER_MEMORY_GROW } from "./constants.ts";
import { createSandboxPool } from "./pool.ts";
import { job } from "./testing.ts";

const pool = createSandboxPool({ size: 1 });
afterAll(() => pool.close());

// hostile-grow grows one page at a time, MAXPAGES times, each grow followed by one host call.
const grow = (pages: number, fuel = 100_000_000) => pool.run(job("hostile-grow", { args: ["hostile-grow", String(pages)], limits: { fuel, memoryPages: 64 } }));

describe("memory.grow fuel", () => {
  it("costs the fixed charge plus 1024 a page for each grow, whatever else the loop does", async () => {
    const [one, two, three] = await Promise.all([grow(1), grow(2), grow(3)]);
    for (const r of [one, two, three]) expect(r!.status).toEqual({ kind: "exit", code: 0 });
    const perGrow = two!.fuelUsed - one!.fuelUsed;
    expect(three!.fuelUsed - two!.fuelUsed).toBe(perGrow);
    // The loop's own instructions and its clock_time_get call come on top of the grow's charge.
    expect(perGrow).toBeGreaterThanOrEqual(FUEL_PER_MEMORY_GROW + 1_024);
    expect(perGrow).toBeLessThan(FUEL_PER_MEMORY_GROW + 1_024 + 2_000);
  });

  it("runs out of fuel on a grow it cannot pay for, at the same point every time", async () => {
    const fuel = FUEL_PER_MEMORY_GROW * 3 + 50_000; // three grows, not four
    const runs = await Promise.all([grow(0, fuel), grow(0, fuel)]);
    for (const r of runs) {
      expect(r.status).toEqual({ kind: "trap", trap: "out_of_fuel" });
      expect(r.fuelUsed).toBe(fuel);
    }
    expect((await grow(3, fuel)).status).toEqual({ kind: "exit", code: 0 });
  });
});
