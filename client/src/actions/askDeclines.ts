import type { Address } from "viem";
import type { AccordClient, ContentNodeRequiredError } from "../client.ts";
import type { ChainRequestError } from "../chain/revert.ts";
import { dialableAddresses, peerIdString } from "../chain/peerAddresses.ts";
import { providerRegistry, type RegisteredProvider } from "../chain/providers.ts";
import { askPeerDeclines as askPeers, DECLINES_TIMEOUT_MS, InvalidDeclinesAnswerError, type DeclinesReply } from "../net/declines.ts";

export type AskDeclinesParameters = {
  jobId: bigint;
  /** Ask only these providers (default: every registered provider with a dialable address). */
  providers?: readonly Address[];
  /** Leave these out (e.g. the providers that bid). */
  skip?: readonly Address[];
  /** Per provider (default DECLINES_TIMEOUT_MS). */
  timeoutMs?: number;
  signal?: AbortSignal;
};

/** One registered provider's reply, attributed by its on-chain peer id (noise authenticated the peer). */
export type ProviderDeclines = { provider: Address; peerId: string; reply: DeclinesReply };
export type AskDeclinesReturnType = ProviderDeclines[];
export type AskDeclinesErrorType = ContentNodeRequiredError | ChainRequestError;

/**
 * Asks the registered providers, at the addresses they registered, why they have not bid for
 * a job (DECLINES_PROTOCOL), through the client's content node. Each reply is a provider's
 * own account: its structured reasons, or why it could not be asked (offline, an older
 * version, an invalid answer). A peer answering for another provider's address than the one
 * its peer id is registered for is an invalid answer. Throws only for the client's own
 * failures (no node, the chain unreachable) and when `signal` aborts.
 */
export async function askDeclines(client: AccordClient, parameters: AskDeclinesParameters): Promise<AskDeclinesReturnType> {
  const { jobId, signal } = parameters;
  const node = await client.getNode({ signal });
  const registered = await providerRegistry(client.publicClient, { address: client.deployment.jobMarket, fromBlock: BigInt(client.deployment.startBlock) })({ signal });
  const wanted = parameters.providers ? new Set(parameters.providers.map((a) => a.toLowerCase())) : undefined;
  const skip = new Set((parameters.skip ?? []).map((a) => a.toLowerCase()));
  const targets = new Map<string, RegisteredProvider>();
  const peers: Array<{ peer: string; target: string[] }> = [];
  for (const p of registered) {
    const address = p.address.toLowerCase();
    if (skip.has(address) || (wanted && !wanted.has(address))) continue;
    const peerId = peerIdString(p.peerId);
    const addrs = dialableAddresses(p.peerId, p.multiaddrs);
    if (!peerId || addrs.length === 0 || peerId === node.peerId.toString()) continue;
    targets.set(peerId, p);
    peers.push({ peer: peerId, target: addrs });
  }
  const replies = await askPeers(node, { jobId, peers, timeoutMs: parameters.timeoutMs ?? DECLINES_TIMEOUT_MS, signal });
  return replies.map((reply) => {
    const p = targets.get(reply.peer)!;
    if (reply.ok && reply.answer.provider.toLowerCase() !== p.address.toLowerCase())
      return { provider: p.address, peerId: reply.peer, reply: { peer: reply.peer, ok: false, error: new InvalidDeclinesAnswerError(reply.peer, `it answers as provider ${reply.answer.provider}, but its peer id is registered by ${p.address}`) } };
    return { provider: p.address, peerId: reply.peer, reply };
  });
}
