import {
  createPublicClient,
  createWalletClient,
  type Account,
  type Address,
  type Chain,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { readDeployment, type Deployment } from "./deployments.ts";
import { BaseError } from "./errors.ts";
export { AccountRequiredError } from "./actions/errors.ts";
import type { AccordNode, AccordNodeOptions } from "./net/node.ts";
import type { ResultKeyPair } from "./seal/seal.ts";
import type { MarketChain } from "./actions/chain/marketChain.ts";

/** How often actions poll the chain for new blocks, unless the caller says otherwise. */
export const DEFAULT_POLLING_INTERVAL_MS = 250;

export type AccordClientConfig = {
  chain: Chain;
  transport: Transport;
  /** Who pays and signs. Without one, only read actions work. */
  account?: Account;
  /** JobMarket and token addresses; default: deployments/<chain id>.json. */
  deployment?: Deployment;
  /**
   * The content node that uploads modules and inputs and fetches results: a running node, or
   * options to start one on first use (it then finds providers through the chain's registry).
   */
  node?: AccordNode | Omit<AccordNodeOptions, "providerRegistry">;
  /** The requester's x25519 result key; manifests carry its public half. */
  resultKey?: ResultKeyPair;
  pollingIntervalMs?: number;
};

/** A MarketChain (the chain actions take it as it is) with the requester's content node and result key. */
export type AccordClient = MarketChain & {
  readonly chain: Chain;
  readonly account: Account | undefined;
  readonly publicClient: PublicClient;
  readonly walletClient: WalletClient | undefined;
  readonly deployment: Deployment;
  /** The deployment's JobMarket and token, as the chain actions read them. */
  readonly market: Address;
  readonly token: Address;
  readonly resultKey: ResultKeyPair | undefined;
  readonly pollingIntervalMs: number;
  /** The content node, started on first call when the client was given options. */
  getNode(options?: { signal?: AbortSignal }): Promise<AccordNode>;
  /** Stops the content node if this client started it. */
  close(): Promise<void>;
};

export class ContentNodeRequiredError extends BaseError {
  override name = "ContentNodeRequiredError";
  constructor() {
    super("This action moves content over the network, and the client has no content node.", {
      fix: "Pass `node` to createAccordClient: a running AccordNode or `{ dataDir }` to start one.",
    });
  }
}

export class ResultKeyRequiredError extends BaseError {
  override name = "ResultKeyRequiredError";
  constructor() {
    super("Results are sealed to the requester's x25519 key, and this client has none.", {
      fix: "Pass `resultKey` to createAccordClient (generateResultKey(), or resultKeyFromSignature() of a wallet signature).",
    });
  }
}

/**
 * An Accord client in viem's shape: chain access plus the requester's content node and
 * result key, handed as the first argument to every action (`submitJob(client, {...})`). The
 * chain actions (`@accord/client/actions/chain`) take it, or any viem clients with the addresses.
 */
export function createAccordClient(config: AccordClientConfig): AccordClient {
  const publicClient = createPublicClient({ chain: config.chain, transport: config.transport, pollingInterval: config.pollingIntervalMs ?? DEFAULT_POLLING_INTERVAL_MS }) as PublicClient;
  const walletClient = config.account
    ? createWalletClient({ chain: config.chain, transport: config.transport, account: config.account })
    : undefined;
  const deployment = config.deployment ?? readDeployment(config.chain.id);

  let node: AccordNode | undefined;
  let starting: Promise<AccordNode> | undefined;
  let owned = false;
  if (config.node && "content" in config.node) node = config.node as AccordNode;


  return {
    chain: config.chain,
    account: config.account,
    publicClient,
    walletClient,
    deployment,
    market: deployment.jobMarket,
    token: deployment.token,
    resultKey: config.resultKey,
    pollingIntervalMs: config.pollingIntervalMs ?? DEFAULT_POLLING_INTERVAL_MS,
    async getNode(options = {}) {
      if (node) return node;
      if (!config.node) throw new ContentNodeRequiredError();
      const opts = config.node as AccordNodeOptions;
      // Loaded on first use: libp2p and Helia take seconds to import, and most commands never need
      // them; the registry's peer ids bring in libp2p's crypto (~80 modules).
      starting ??= Promise.all([import("./net/node.ts"), import("./chain/providers.ts")])
        .then(([{ createAccordNode }, { providerRegistry }]) =>
          createAccordNode({ ...opts, providerRegistry: providerRegistry(publicClient, { address: deployment.jobMarket, fromBlock: BigInt(deployment.startBlock) }), signal: options.signal }),
        )
        .then((n) => {
          node = n;
          owned = true;
          return n;
        });
      try {
        return await starting;
      } catch (err) {
        starting = undefined;
        throw err;
      }
    },
    async close() {
      const n = node ?? (await starting?.catch(() => undefined));
      if (n && owned) await n.stop();
      node = owned ? undefined : node;
      starting = undefined;
      owned = false;
    },
  };
}

export type { Address };
