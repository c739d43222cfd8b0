import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dialableAddresses } from "@accord/client/chain";
import type { Reachability } from "@accord/client/net";
import { listingAddresses, listingStillValid, reachabilityLines, reachabilityReport, readReachabilityFile, writeReachabilityFile } from "./reachability.ts";

const ME = "12D3KooWBHq9tHGhwVdnWzWxaHjj4sS3Udr7qavDTqUiT7PfgvMM";
const R1 = "12D3KooWS78w5ihmAYcwr9QHQKEapH1kTKZsbXh8WYPCy1nns4q2";
const R2 = "12D3KooWKQUmK6JqmFWQwXrc7WS9ExpYSJ9U311N3Gu7jGcNTYk6";
const via = (relay: string, ip: string) => `/ip4/${ip}/tcp/4001/p2p/${relay}/p2p-circuit/p2p/${ME}`;
const relayed = (relays: Array<[string, string]>): Reachability => ({
  status: "relayed",
  direct: [],
  relayed: relays.map(([r, ip]) => via(r, ip)),
  relays: relays.map(([r]) => r),
  advertised: relays.map(([r, ip]) => via(r, ip)),
  relayServer: false,
});

describe("the on-chain listing of a node behind NAT", () => {
  it("lists the relayed addresses when there is no direct one, announced ones always win", () => {
    expect(listingAddresses(relayed([[R1, "11.19.0.1"]]), undefined, 8)).toEqual([via(R1, "11.19.0.1")]);
    expect(listingAddresses(relayed([[R1, "11.19.0.1"]]), ["/dns4/me.example/tcp/4001"], 8)).toEqual(["/dns4/me.example/tcp/4001"]);
  });

  it("stays valid while every listed relay still holds our reservation: a relay gained costs no transaction, a relay lost does", () => {
    const listed = [via(R1, "11.19.0.1")];
    expect(listingStillValid(listed, relayed([[R1, "11.19.0.1"], [R2, "11.19.0.2"]]).relayed)).toBe(true);
    expect(listingStillValid(listed, relayed([[R2, "11.19.0.2"]]).relayed)).toBe(false);
    expect(listingStillValid([], relayed([[R1, "11.19.0.1"]]).relayed)).toBe(false);
    // The same address with and without our trailing peer id is the same address.
    expect(listingStillValid([`/ip4/11.19.0.1/tcp/4001/p2p/${R1}/p2p-circuit`], [via(R1, "11.19.0.1")])).toBe(true);
  });

  it("reports which listed addresses it cannot be reached at, and status says so", () => {
    const dir = mkdtempSync(join(tmpdir(), "accord-reach-"));
    try {
      const report = reachabilityReport(relayed([[R2, "11.19.0.2"]]), [via(R1, "11.19.0.1")]);
      expect(report.onChain).toEqual({ addresses: [via(R1, "11.19.0.1")], reachable: false, unreachable: [via(R1, "11.19.0.1")] });
      writeReachabilityFile(dir, report);
      const lines = reachabilityLines(readReachabilityFile(dir)).join("\n");
      expect(lines).toContain(`through relay ${R2} only`);
      expect(lines).toContain(`NOT all reachable: ${via(R1, "11.19.0.1")}`);
      expect(reachabilityLines(reachabilityReport({ ...relayed([]), status: "unreachable" }, [])).join("\n")).toContain("NO: no public address and no relay reservation; the node does not bid");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is dialled by requesters at its relayed address (the last /p2p/ names the provider, not the relay)", async () => {
    const { peerIdFromString } = await import("@libp2p/peer-id");
    const hex = `0x${Buffer.from(peerIdFromString(ME).toMultihash().bytes).toString("hex")}` as const;
    expect(dialableAddresses(hex, [via(R1, "11.19.0.1"), `/ip4/11.19.0.1/tcp/4001/p2p/${R1}/p2p-circuit`, `/ip4/1.2.3.4/tcp/1/p2p/${R1}`])).toEqual([
      via(R1, "11.19.0.1"),
      via(R1, "11.19.0.1"),
    ]);
  });
});
