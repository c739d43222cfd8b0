import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestNeedsAnnouncement } from "../../client/src/actions/index.ts";
import type { AccordNode } from "../../client/src/net/node.ts";
import { connectChain } from "../../provider-node/src/chain/clients.ts";
import { registerOrUpdate } from "../../provider-node/src/chain/account.ts";
import { PROVIDER_LIMITS } from "../../provider-node/src/constants.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "../../scripts/devnet/accounts.ts";
import { startDevnet, type Devnet } from "../devnet.ts";

/** A node whose only relevant state is the peers it is connected to. */
const nodeConnectedTo = (...peers: string[]) =>
  ({ libp2p: { getConnections: () => peers.map((id) => ({ status: "open", remotePeer: { toString: () => id } })) } }) as unknown as Pick<AccordNode, "libp2p">;

async function register(net: Devnet, index: number): Promise<string> {
  const peerId = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
  const chain = await connectChain({ rpcUrl: net.chain.rpcUrl, privateKey: DEV_ACCOUNTS[index]!.privateKey, market: net.deployment.jobMarket, limits: PROVIDER_LIMITS });
  await registerOrUpdate(chain, { peerId: peerId.toMultihash().bytes, multiaddrs: [], askPrice: 1_000n });
  return peerId.toString();
}

describe("submitJob announces a manifest in the DHT only when a registered provider is not connected", () => {
  let net: Devnet;
  beforeAll(async () => {
    net = await startDevnet();
  }, 120_000);
  afterAll(async () => {
    await net?.stop();
  });

  it("announces while nobody is registered, skips once every provider is connected, announces again for an unconnected newcomer", async () => {
    const needs = (node: Pick<AccordNode, "libp2p">) => manifestNeedsAnnouncement({}, net.publicClient, net.deployment, node);
    expect(await needs(nodeConnectedTo())).toBe(true);
    const first = await register(net, DEV_ROLES.providers[0]!);
    expect(await needs(nodeConnectedTo())).toBe(true);
    expect(await needs(nodeConnectedTo(first))).toBe(false);
    const second = await register(net, DEV_ROLES.providers[1]!);
    expect(await needs(nodeConnectedTo(first))).toBe(true);
    expect(await needs(nodeConnectedTo(first, second, "12D3KooWSomeRequesterElse"))).toBe(false);
  }, 120_000);

  it("announces when the registry cannot be read", async () => {
    const broken = { ...net.deployment, jobMarket: "0x0000000000000000000000000000000000000001" as const, startBlock: 0 };
    const unreachable = { request: () => Promise.reject(new Error("down")) } as never;
    expect(await manifestNeedsAnnouncement({}, unreachable, broken, nodeConnectedTo())).toBe(true);
  });
});
