import { describe, expect, it } from "vitest";
import { ReceiveBuffers } from "./receive-buffers.ts";

describe("ReceiveBuffers", () => {
  it("hands a pooled buffer out again only after every holder released it", () => {
    const pool = new ReceiveBuffers(1024, 64, 4);
    const a = pool.allocate(1000);
    expect(a.length).toBe(1000);
    expect(pool.hold(a, 2)).toBe(true);
    pool.release(a);
    expect(pool.allocate(1000).buffer).not.toBe(a.buffer);
    pool.release(a);
    const again = pool.allocate(500);
    expect(again.buffer).toBe(a.buffer);
    expect(again.length).toBe(500);
  });

  it("gives blocks outside its sizes buffers of their own, never pooled", () => {
    const pool = new ReceiveBuffers(1024, 64, 4);
    for (const size of [10, 2048]) {
      const own = pool.allocate(size);
      expect(own.length).toBe(size);
      expect(pool.hold(own, 1)).toBe(false);
      pool.release(own);
    }
    // A pooled buffer that is never held (a dag-pb node's) never comes back.
    const kept = pool.allocate(100);
    expect(pool.allocate(100).buffer).not.toBe(kept.buffer);
  });

  it("keeps at most `max` buffers for reuse", () => {
    const pool = new ReceiveBuffers(1024, 64, 1);
    const [a, b] = [pool.allocate(1024), pool.allocate(1024)];
    for (const v of [a, b]) {
      pool.hold(v, 1);
      pool.release(v);
    }
    const first = pool.allocate(1024);
    const second = pool.allocate(1024);
    expect([a.buffer, b.buffer]).toContain(first.buffer);
    expect([a.buffer, b.buffer]).not.toContain(second.buffer);
  });
});
