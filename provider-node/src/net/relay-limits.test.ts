import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RELAY_LIMITS } from "@accord/client/net/relay-limits";
import { loadConfig } from "../config/config.ts";
import { ConfigFileError, InvalidConfigError } from "../errors.ts";
import { reachabilityLines, reachabilityReport } from "./reachability.ts";
import { describeRelayLimits, effectiveRelayLimits, parseRelayLimit, parseRelayLimits } from "./relay-limits.ts";

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), "accord-relay-limits-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
};

describe("relay limits in the provider's config", () => {
  it("reads numbers in the unit the name ends with, and sizes and durations with units", () => {
    expect(parseRelayLimit("maxReservations", 16, "x")).toBe(16);
    expect(parseRelayLimit("maxReservations", "16", "x")).toBe(16);
    expect(parseRelayLimit("maxRelayedBytesPerConnection", "256MiB", "x")).toBe(256 * 1024 * 1024);
    expect(parseRelayLimit("maxRelayedBytesPerConnection", "1 GiB", "x")).toBe(1024 ** 3);
    expect(parseRelayLimit("maxRelayedBytesPerConnection", "1.5MiB", "x")).toBe(1.5 * 1024 * 1024);
    expect(parseRelayLimit("maxRelayedBytesPerConnection", 200_000, "x")).toBe(200_000);
    expect(parseRelayLimit("maxRelayedConnectionMs", "10m", "x")).toBe(600_000);
    expect(parseRelayLimit("reservationTtlMs", "1h", "x")).toBe(3_600_000);
    expect(parseRelayLimit("maxRelayedConnectionMs", "90s", "x")).toBe(90_000);
  });

  it("names the setting, the bad value, what fits and why", () => {
    expect(errorOf(() => parseRelayLimit("maxReservatons", 1, "relayLimits.maxReservatons (in c.json)")).message).toMatch(/relayLimits\.maxReservatons.*names no relay limit; known relay limits: maxReservations, /);
    const zero = errorOf(() => parseRelayLimit("maxReservations", 0, "ACCORD_RELAY_LIMIT_MAX_RESERVATIONS"));
    expect(zero).toBeInstanceOf(InvalidConfigError);
    expect(zero.message).toMatch(/ACCORD_RELAY_LIMIT_MAX_RESERVATIONS" is 0, outside 1 to 300: .*"relay": "off"/);
    expect(errorOf(() => parseRelayLimit("maxRelayedBytesPerConnection", "1KiB", "b")).message).toMatch(/is 1 KiB, outside 128 KiB to .*identify/);
    expect(errorOf(() => parseRelayLimit("maxRelayedBytesPerConnection", "10 parsecs", "b")).message).toMatch(/must be a whole number of bytes, or a size such as "256MiB"/);
    expect(errorOf(() => parseRelayLimit("maxRelayedConnectionMs", "10MiB", "d")).message).toMatch(/must be a whole number of milliseconds, or a duration such as "90s"/);
    expect(errorOf(() => parseRelayLimit("maxRelayedConnectionMs", "30d", "d")).message).toMatch(/is 720 h, outside 10 s to/);
    expect(errorOf(() => parseRelayLimit("maxRelayedConnections", 2.5, "c")).message).toMatch(/must be a whole number, not 2.5/);
    expect(errorOf(() => parseRelayLimit("maxRelayedConnections", -1, "c")).message).toMatch(/is -1, outside 1 to/);
    expect(errorOf(() => parseRelayLimit("maxRelayedConnections", true, "c")).message).toMatch(/not true/);
  });

  it("takes the file, then ACCORD_RELAY_LIMIT_*, then --relay-limit, later ones winning", () => {
    const dir = temp();
    writeFileSync(join(dir, "config.json"), JSON.stringify({ relay: "on", relayLimits: { maxReservations: 16, maxRelayedConnections: 8, maxRelayedBytesPerConnection: "256MiB" } }));
    const { config } = loadConfig({
      flags: { dataDir: dir, relayLimit: ["maxRelayedConnections=4"] },
      env: { ACCORD_RELAY_LIMIT_MAX_RELAYED_CONNECTION_MS: "10m", ACCORD_RELAY_LIMIT_MAX_RELAYED_CONNECTIONS: "6" },
    });
    expect(config.relay).toBe("on");
    expect(config.relayLimits).toEqual({ maxReservations: 16, maxRelayedConnections: 4, maxRelayedBytesPerConnection: 256 * 1024 * 1024, maxRelayedConnectionMs: 600_000 });
    // Unset ones keep the defaults, which an operator sees in `status` and /health.
    expect(effectiveRelayLimits(config.relayLimits)).toEqual({ ...RELAY_LIMITS, ...config.relayLimits });
    expect(loadConfig({ flags: { dataDir: temp() }, env: {} }).config.relayLimits).toEqual({});
  });

  it("refuses a relayLimits that is not an object, and bad names and values from each source, naming where they came from", () => {
    const dir = temp();
    writeFileSync(join(dir, "config.json"), JSON.stringify({ relayLimits: 16 }));
    expect(errorOf(() => loadConfig({ flags: { dataDir: dir }, env: {} }))).toBeInstanceOf(ConfigFileError);
    writeFileSync(join(dir, "config.json"), JSON.stringify({ relayLimits: { maxRelayedBytesPerConnection: "lots" } }));
    expect(errorOf(() => loadConfig({ flags: { dataDir: dir }, env: {} })).message).toContain(`relayLimits.maxRelayedBytesPerConnection (in ${join(dir, "config.json")})`);
    expect(errorOf(() => parseRelayLimits(undefined, { ACCORD_RELAY_LIMIT_MAX_RESERVATIONS: "many" }, undefined, "c.json")).message).toContain("ACCORD_RELAY_LIMIT_MAX_RESERVATIONS");
    expect(errorOf(() => parseRelayLimits(undefined, {}, ["maxReservations"], "c.json")).message).toMatch(/--relay-limit maxReservations.*name=value/);
    expect(errorOf(() => parseRelayLimits(undefined, {}, ["bytes=1"], "c.json")).message).toMatch(/--relay-limit bytes.*names no relay limit/);
  });

  it("is shown by status when the node relays, with what is in use, and not when it does not", () => {
    const limits = effectiveRelayLimits({ maxReservations: 16, maxRelayedConnections: 4, maxRelayedBytesPerConnection: 256 * 1024 * 1024, maxRelayedConnectionMs: 600_000 });
    expect(describeRelayLimits(limits)).toBe("16 reservations (1 h each); 4 relayed connections at once, each at most 256 MiB and 10 min");
    const reach = { status: "public" as const, direct: ["/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWBHq9tHGhwVdnWzWxaHjj4sS3Udr7qavDTqUiT7PfgvMM"], relayed: [], relays: [], advertised: [], relayServer: true };
    const report = reachabilityReport(reach, [], undefined, { limits, reservations: 3, relayedConnections: 1 });
    expect(report.relay).toEqual({ limits, reservations: 3, relayedConnections: 1 });
    expect(reachabilityLines(report).join("\n")).toContain("relaying    for others: 16 reservations (1 h each); 4 relayed connections at once, each at most 256 MiB and 10 min (now 3 reservations, 1 relayed connections)");
    const notRelaying = reachabilityReport({ ...reach, relayServer: false }, [], undefined, { limits });
    expect(notRelaying.relay).toBeUndefined();
    expect(reachabilityLines(notRelaying).join("\n")).not.toContain("relaying");
  });
});
