// Links from the job timeline to a block explorer, when the deployment names one (ACCORD_EXPLORER_URL).
import { describe, expect, it } from "vitest";
import { explorerLinks } from "../lib/client/explorer.ts";

const TX = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060";

describe("explorerLinks", () => {
  it("links a transaction and its block with the Etherscan paths", () => {
    expect(explorerLinks("https://sepolia.etherscan.io", TX, 123)).toEqual({ tx: `https://sepolia.etherscan.io/tx/${TX}`, block: "https://sepolia.etherscan.io/block/123" });
  });

  it("takes the base with or without a trailing slash", () => {
    expect(explorerLinks("https://explorer.example/", TX, 7)?.tx).toBe(`https://explorer.example/tx/${TX}`);
  });

  it("gives nothing on a chain without an explorer, so the page shows the hash to copy", () => {
    expect(explorerLinks(undefined, TX, 1)).toBeUndefined();
    expect(explorerLinks("", TX, 1)).toBeUndefined();
  });
});
