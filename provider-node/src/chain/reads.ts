import type { Address } from "viem";
import { readParameters, readProvider, type MarketParameters, type ProviderInfo } from "@accord/client/chain";
import type { ChainContext } from "./clients.ts";

/** The node's own provider record, as read at `readAtMs` (wall clock). */
export type OwnRecord = { info: ProviderInfo; readAtMs: number };

/**
 * Reads every evaluation needs but that change far less often than jobs arrive: this node's
 * provider record (registration, reputation, free stake) and the market's collateral ratio.
 * Each evaluation read both (two eth_calls per job on every node, ten per 3-replica job on a
 * 5-node market); now concurrent evaluations share one read, re-read once it is `ownMaxAgeMs`
 * old. Bids sent since the read are not in its free stake: the caller counts them itself
 * (see reservedCollateral), and the contract refuses a bid the stake cannot cover anyway.
 */
export class CachedReads {
  private readonly chain: ChainContext;
  private readonly me: Address;
  private readonly ownMaxAgeMs: number;
  private readonly parametersMaxAgeMs: number;
  private own: { record: Promise<OwnRecord>; atMs: number } | undefined;
  private parameters: { values: Promise<MarketParameters>; atMs: number } | undefined;

  constructor(chain: ChainContext, me: Address, options: { ownMaxAgeMs: number; parametersMaxAgeMs: number }) {
    this.chain = chain;
    this.me = me;
    this.ownMaxAgeMs = options.ownMaxAgeMs;
    this.parametersMaxAgeMs = options.parametersMaxAgeMs;
  }

  ownRecord(): Promise<OwnRecord> {
    if (this.own && Date.now() - this.own.atMs < this.ownMaxAgeMs) return this.own.record;
    const atMs = Date.now();
    const record = readProvider(this.chain.client, this.chain.market, this.me).then((info) => ({ info, readAtMs: atMs }));
    const entry = { record, atMs };
    this.own = entry;
    // A failed read is not kept: the next evaluation asks again.
    record.catch(() => {
      if (this.own === entry) this.own = undefined;
    });
    return record;
  }

  /** The market's collateral ratio, which every job posted since it was set snapshots. */
  async collateralRatioBps(): Promise<number> {
    return (await this.marketParameters()).collateralRatioBps;
  }

  /** The market's owner parameters (collateral ratio, pool window, fill timeout), shared like the ratio was. */
  marketParameters(): Promise<MarketParameters> {
    if (this.parameters && Date.now() - this.parameters.atMs < this.parametersMaxAgeMs) return this.parameters.values;
    const values = readParameters(this.chain.client, this.chain.market);
    const entry = { values, atMs: Date.now() };
    this.parameters = entry;
    values.catch(() => {
      if (this.parameters === entry) this.parameters = undefined;
    });
    return values;
  }
}
