// What the header's search box reads a query as, before the server looks it up.
import { describe, expect, it } from "vitest";
import { classifyQuery, normalCid } from "../lib/search-query.ts";

const ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const HASH = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060";
// "hello" as the project imports it (CIDv1, raw leaves), and the same bytes as a CIDv0 would not be: use base36 of the same CID.
const CID_V1 = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq";

describe("classifyQuery", () => {
  it("reads decimal digits as a job id, up to a uint256's 78 digits", () => {
    expect(classifyQuery(" 42 ")).toEqual({ kind: "jobId", jobId: 42n });
    expect(classifyQuery("9".repeat(78)).kind).toBe("jobId");
    expect(classifyQuery("9".repeat(79)).kind).toBe("unknown");
  });

  it("reads 0x and 40 hex digits as an address, checksummed whatever the case", () => {
    expect(classifyQuery(ADDRESS.toLowerCase())).toEqual({ kind: "address", address: ADDRESS });
  });

  it("reads 0x and 64 hex digits as a hash that may be a transaction, a digest or a job id", () => {
    expect(classifyQuery(HASH.toUpperCase().replace("0X", "0x"))).toEqual({ kind: "hash", hash: HASH, jobId: BigInt(HASH) });
  });

  it("reads a CID in any base as its CIDv1 base32 spelling", () => {
    expect(classifyQuery(CID_V1)).toEqual({ kind: "cid", cid: CID_V1 });
    const v0 = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG";
    const read = classifyQuery(v0);
    expect(read.kind).toBe("cid");
    expect((read as { cid: string }).cid).toMatch(/^bafybei/);
    expect(normalCid(v0)).toBe((read as { cid: string }).cid);
  });

  it("reads 16 hex digits, or an attempt's nonce, as a run", () => {
    expect(classifyQuery(" 0a1b2c3d4e5f6789 ")).toEqual({ kind: "run", runId: "0a1b2c3d4e5f6789" });
    expect(classifyQuery("accord-run/0a1b2c3d4e5f6789/tile-3/2")).toEqual({ kind: "run", runId: "0a1b2c3d4e5f6789" });
    // Sixteen decimal digits are a job id first: a run id of only digits is found from its jobs' pages.
    expect(classifyQuery("0123456789012345").kind).toBe("jobId");
    expect(classifyQuery("accord-run/0a1b2c3d4e5f6789/tile-3").kind).toBe("unknown");
  });

  it("says a query of no known form is unknown, and an empty one empty", () => {
    expect(classifyQuery("hello world")).toEqual({ kind: "unknown", text: "hello world" });
    expect(classifyQuery("0x1234")).toEqual({ kind: "unknown", text: "0x1234" });
    expect(classifyQuery("   ")).toEqual({ kind: "empty" });
    expect(normalCid("not a cid")).toBeUndefined();
  });
});
