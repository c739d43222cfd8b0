// Registry discovery (client/src/net/registry-discovery.ts) against a real chain: providers
// registered on the JobMarket are found, stored and dialled by a node that knows nothing but
// the market's address, and ones that register later are found on a later read.
import { join } from "node:path";
import { createWalletClient, http, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providerRegistry } from "../../client/src/chain/providers.ts";
import { jobMarketAbi } from "../../client/src/generated/abi.ts";
import { createAccordNode, type AccordNode } from "../../client/src/net/node.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "../../scripts/devnet/accounts.ts";
import { startDevnet, type Devnet } from "../devnet.ts";

const WAIT_MS = 60_000;

let net: Devnet;
const nodes: AccordNode[] = [];
let accounts = 0;

/** Registers `peerId` and `multiaddrs` from the next unused provider account. */
async function register(peerId: Hex, multiaddrs: string[]): Promise<void> {
  const account = privateKeyToAccount(DEV_ACCOUNTS[DEV_ROLES.providers[accounts++]!]!.privateKey);
  const wallet = createWalletClient({ chain: hardhat, transport: http(net.chain.rpcUrl), account });
  const hash = await wallet.writeContract({ address: net.deployment.jobMarket, abi: jobMarketAbi, functionName: "registerProvider", args: [peerId, multiaddrs, 1n] });
  expect((await net.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
}

const registerNode = (node: AccordNode) => register(toHex(node.peerId.toMultihash().bytes), node.multiaddrs.map((m) => m.toString().replace(/\/p2p\/[^/]+$/, "")));

async function startNode(name: string, withRegistry = false): Promise<AccordNode> {
  const node = await createAccordNode({
    dataDir: join(net.dir, name),
    ...(withRegistry && {
      providerRegistry: providerRegistry(net.publicClient, { address: net.deployment.jobMarket, fromBlock: BigInt(net.deployment.startBlock) }),
      registryIntervalMs: 200,
    }),
  });
  nodes.push(node);
  return node;
}

/** Resolves once `condition` holds, checked every 50 ms; fails the test with `what` after WAIT_MS. */
async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const connected = (node: AccordNode, peer: AccordNode) => node.libp2p.getConnections(peer.peerId).some((c) => c.status === "open");

beforeAll(async () => {
  net = await startDevnet();
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await net?.stop();
});

describe("registry discovery", () => {
  let requester: AccordNode;
  let first: AccordNode;
  let second: AccordNode;

  it("joins through the providers registered on the market, past a registration that names no valid peer", async () => {
    [first, second] = await Promise.all([startNode("first"), startNode("second")]);
    await registerNode(first);
    // Anyone can register: a record with a malformed peer id and address must not hide the others.
    await register("0x1234", ["not a multiaddr"]);
    await registerNode(second);

    requester = await startNode("requester", true);
    // createAccordNode returns once the registry's first round and its dials have settled.
    expect([...requester.registeredPeers].sort()).toEqual([first.peerId.toString(), second.peerId.toString()].sort());
    expect(connected(requester, first)).toBe(true);
    expect(connected(requester, second)).toBe(true);
    // Dialled once the node handles every protocol: a provider that identified the requester
    // before bitswap started would never ask it for a job's blocks.
    // (Helia's bitswap ignores the protocol it is given, so it is looked up by name.)
    const bitswap = requester.libp2p.getProtocols().filter((p) => p.includes("/bitswap/"));
    expect(bitswap).not.toEqual([]);
    await until("the provider has identified the requester", async () => ((await first.libp2p.peerStore.get(requester.peerId).catch(() => undefined))?.protocols.length ?? 0) > 0);
    expect((await first.libp2p.peerStore.get(requester.peerId)).protocols).toEqual(expect.arrayContaining(bitswap));
    const stored = await requester.libp2p.peerStore.get(first.peerId);
    expect(stored.addresses.map((a) => a.multiaddr.toString())).toContain(first.multiaddrs[0].toString().replace(/\/p2p\/[^/]+$/, ""));
  });

  it("finds a provider that registers later on a later read, and dials it", async () => {
    const late = await startNode("late");
    const discovered = new Promise<void>((resolve) =>
      requester.libp2p.addEventListener("peer:discovery", (e) => {
        if (e.detail.id.equals(late.peerId)) resolve();
      }),
    );
    await registerNode(late);
    await discovered;
    await until("the requester is connected to the late provider", () => connected(requester, late));
    expect(requester.registeredPeers.has(late.peerId.toString())).toBe(true);
  });

  it("never counts the node's own registration among the peers", async () => {
    const provider = await startNode("self-registered", true);
    await registerNode(provider);
    const after = await startNode("after");
    await registerNode(after);
    // The read that finds `after` has also read the registration before it.
    await until("the provider finds the provider registered after it", () => provider.registeredPeers.has(after.peerId.toString()));
    expect(provider.registeredPeers.has(provider.peerId.toString())).toBe(false);
    expect(provider.registeredPeers.has(first.peerId.toString())).toBe(true);
  });
});
