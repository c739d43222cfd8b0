import type { Logger } from "pino";
import type { Address } from "viem";
import type { AccordNode } from "@accord/client/net";
import type { ChainContext } from "../chain/clients.ts";
import type { ProviderConfig } from "../config/config.ts";
import type { ProviderLimits } from "../constants.ts";
import type { ChainClock } from "../jobs/chain-clock.ts";
import type { JobDriver } from "../jobs/driver.ts";
import type { Journal } from "../journal/journal.ts";
import type { ProviderMetrics } from "../metrics/metrics.ts";
import type { RpcStatus } from "./rpc-status.ts";

/** What the daemon's services are made from (js-libp2p's `components`): each takes the parts it names. */
export type ProviderComponents = {
  config: ProviderConfig;
  limits: ProviderLimits;
  log: Logger;
  metrics: ProviderMetrics;
  /** Aborted when the daemon stops. */
  signal: AbortSignal;
  chain: ChainContext;
  /** The provider's account. */
  me: Address;
  journal: Journal;
  node: AccordNode;
  driver: JobDriver;
  clock: ChainClock;
  rpc: RpcStatus;
};
