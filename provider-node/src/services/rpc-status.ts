import type { Logger } from "pino";
import type { ProviderMetrics } from "../metrics/metrics.ts";

/** Whether the chain's RPC answers, as the last call found it: logged once per outage, kept in the metrics. */
export class RpcStatus {
  #up = true;
  readonly #metrics: ProviderMetrics;
  readonly #log: Logger;

  constructor(metrics: ProviderMetrics, log: Logger) {
    this.#metrics = metrics;
    this.#log = log;
  }

  get up(): boolean {
    return this.#up;
  }

  failed(what: string, err: unknown, retryInMs: number): void {
    this.#metrics.rpcRetries.inc();
    this.#metrics.rpcUp.set(0);
    if (this.#up) this.#log.warn({ what, err: (err as Error).message.split("\n")[0], retryInMs }, "chain RPC unreachable; retrying");
    this.#up = false;
  }

  /** The market's log was read up to `block`. */
  answered(block: bigint): void {
    if (!this.#up) this.#log.info({ block: block.toString() }, "chain RPC reachable again");
    this.#up = true;
    this.#metrics.rpcUp.set(1);
  }
}
