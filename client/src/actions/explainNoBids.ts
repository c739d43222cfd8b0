import type { AccordClient } from "../client.ts";
import { BPS } from "../chain/constants.ts";
import { readParameters } from "../chain/market.ts";
import type { ChainRequestError } from "../chain/revert.ts";
import { parseCid } from "../content/cid.ts";
import { decodeManifest } from "../manifest/index.ts";
import { JobNotFoundError, type NoBidsDiagnosis, type NoBidsReason } from "./errors.ts";
import { quoteFor } from "./estimateCost.ts";
import { activeBids, readJobHistory } from "../chain/jobHistory.ts";
import { formatAmount, getTokenInfo } from "./internal/token.ts";
import { listProviders, type ProviderListing } from "./listProviders.ts";
import { askDeclines } from "./askDeclines.ts";
import { declinesUnsupported, InvalidDeclinesAnswerError, type DeclinesAnswer } from "../net/declines.ts";
import { RemoteProtocolError } from "../net/errors.ts";

/** Dialling one provider to see whether it is online. */
export const PROBE_TIMEOUT_MS = 3_000;
/** Fetching the manifest to learn the fuel limit the providers price. */
export const MANIFEST_FETCH_TIMEOUT_MS = 3_000;

export type ExplainNoBidsParameters = {
  jobId: bigint;
  /** The job's fuel limit, if known; otherwise read from its manifest. */
  fuel?: number | bigint;
  /** Dial eligible providers to check they are online (default: when the client has a node). */
  probe?: boolean;
  signal?: AbortSignal;
};
export type ExplainNoBidsReturnType = NoBidsDiagnosis;
export type ExplainNoBidsErrorType = JobNotFoundError | ChainRequestError;

/**
 * Why a job got too few bids, as far as the chain and the network can tell: every registered
 * provider is checked against each rule the contract applies to a bid (stake, reputation,
 * free stake for the collateral) and against its own ask price, and those that pass are asked
 * for their own reasons (DECLINES_PROTOCOL), or dialled if they cannot say.
 */
export async function explainNoBids(client: AccordClient, parameters: ExplainNoBidsParameters): Promise<ExplainNoBidsReturnType> {
  const { jobId, signal } = parameters;
  const market = client.deployment.jobMarket;
  const [read, params, providers, token] = await Promise.all([
    readJobHistory(client.publicClient, { address: market, jobId, fromBlock: BigInt(client.deployment.startBlock), signal }),
    readParameters(client.publicClient, market),
    listProviders(client, { includeInactive: true, signal }),
    getTokenInfo(client),
  ]);
  if (!read) throw new JobNotFoundError(jobId, market);
  const { history } = read;
  const fmt = (u: bigint) => `${formatAmount(u, token.decimals)} ${token.symbol}`;
  const fuel = parameters.fuel !== undefined ? BigInt(parameters.fuel) : await manifestFuel(client, history.manifestCid, signal);
  const bidders = new Set(activeBids(history).map((b) => b.provider));
  const reasons: NoBidsReason[] = [];
  const add = (code: NoBidsReason["code"], who: ProviderListing[], message: string) => {
    if (who.length) reasons.push({ code, message, providers: who.map((p) => p.address) });
  };

  if (providers.length === 0) {
    reasons.push({ code: "no-providers", message: "No provider has ever registered with this JobMarket.", providers: [] });
    return { jobId, registered: 0, eligible: [], reasons };
  }
  const others = providers.filter((p) => !bidders.has(p.address));
  const lowStake = others.filter((p) => p.stake < params.minStake || p.stake === 0n);
  const pool1 = others.filter((p) => !lowStake.includes(p));
  const lowRep = pool1.filter((p) => p.score < history.minReputation);
  const pool2 = pool1.filter((p) => !lowRep.includes(p));
  const priced = fuel === undefined ? [] : pool2.filter((p) => quoteFor(p.askPrice, fuel) > history.maxPrice);
  const pool3 = pool2.filter((p) => !priced.includes(p));
  // Collateral is locked at the bid price; the cheapest bid this provider would make is its quote.
  const collateralAt = (p: ProviderListing) => ((fuel === undefined ? history.maxPrice : minBig(quoteFor(p.askPrice, fuel), history.maxPrice)) * BigInt(params.collateralRatioBps)) / BigInt(BPS);
  const full = pool3.filter((p) => p.free < collateralAt(p));
  const eligible = pool3.filter((p) => !full.includes(p));

  add("stake-too-low", lowStake, `${lowStake.length} provider(s) have less stake than the minimum of ${fmt(params.minStake)} and cannot bid.`);
  add("reputation-too-low", lowRep, `${lowRep.length} provider(s) have a reputation below the job's minimum of ${history.minReputation} bps (best of them: ${Math.max(...lowRep.map((p) => p.score), 0)} bps).`);
  if (fuel !== undefined) {
    const cheapest = priced.map((p) => quoteFor(p.askPrice, fuel)).sort((a, b) => (a < b ? -1 : 1))[0];
    add("price-below-ask", priced, `${priced.length} provider(s) ask more than the max price of ${fmt(history.maxPrice)} for a fuel limit of ${fuel} (cheapest ask: ${cheapest === undefined ? "?" : fmt(cheapest)}).`);
  }
  add("no-capacity", full, `${full.length} provider(s) have no free stake left for the collateral (they are busy with other jobs or under-staked).`);

  // The providers that met every rule are asked why they did not bid (DECLINES_PROTOCOL); an
  // answer also shows they are online. Those that cannot be asked are dialled, to tell an older
  // provider (online, silent) from one that is offline.
  const probe = parameters.probe ?? true;
  let unreachable: ProviderListing[] = [];
  const told: Array<{ p: ProviderListing; answer: DeclinesAnswer }> = [];
  if (probe && eligible.length) {
    const node = await client.getNode({ signal }).catch(() => undefined);
    if (node) {
      const asked = await askDeclines(client, { jobId, providers: eligible.map((p) => p.address), timeoutMs: PROBE_TIMEOUT_MS, signal }).catch(() => []);
      const replies = new Map(asked.map((a) => [a.provider.toLowerCase(), a.reply]));
      const results = await Promise.all(
        eligible.map(async (p) => {
          const reply = replies.get(p.address.toLowerCase());
          if (reply?.ok) return { p, up: true, answer: reply.answer };
          if (reply && (reply.error instanceof InvalidDeclinesAnswerError || reply.error instanceof RemoteProtocolError || declinesUnsupported(reply))) return { p, up: true };
          return { p, up: await reachable(node, p.dialable, signal) };
        }),
      );
      unreachable = results.filter((r) => !r.up).map((r) => r.p);
      for (const r of results) if (r.answer && r.answer.status !== "bid" && r.answer.status !== "unknown" && r.answer.reasons.length) told.push({ p: r.p, answer: r.answer });
    }
  }
  add("unreachable", unreachable, `${unreachable.length} eligible provider(s) did not answer at their registered addresses: they are offline.`);
  for (const { p, answer } of told)
    reasons.push({ code: "declined", message: `Provider ${p.address} ${answer.status === "evaluating" ? "has not fetched the job" : "declined"}: ${answer.reasons.map((r) => r.message).join("; ")}.`, providers: [p.address], declines: answer.reasons });
  const silent = eligible.filter((p) => !unreachable.includes(p) && !told.some((t) => t.p === p));
  add("eligible-but-silent", silent, `${silent.length} provider(s) met every rule and are online but did not bid nor say why: they may be at capacity, or could not fetch the job's manifest ${history.manifestCid} from your node.`);
  return { jobId, registered: providers.length, eligible: eligible.map((p) => p.address), reasons };
}

const minBig = (a: bigint, b: bigint) => (a < b ? a : b);

async function manifestFuel(client: AccordClient, manifestCid: string, signal?: AbortSignal): Promise<bigint | undefined> {
  try {
    const node = await client.getNode({ signal });
    const bytes = await node.content.getBytes(parseCid(manifestCid), { timeoutMs: MANIFEST_FETCH_TIMEOUT_MS, signal });
    return BigInt(decodeManifest(bytes).limits.fuel);
  } catch {
    return undefined;
  }
}

async function reachable(node: { dial: (t: string, o: { signal?: AbortSignal }) => Promise<void> }, addresses: string[], signal?: AbortSignal): Promise<boolean> {
  for (const a of addresses) {
    try {
      const s = AbortSignal.any([AbortSignal.timeout(PROBE_TIMEOUT_MS), ...(signal ? [signal] : [])]);
      await node.dial(a, { signal: s });
      return true;
    } catch {
      // try the next address
    }
  }
  return false;
}
