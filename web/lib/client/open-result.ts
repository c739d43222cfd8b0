import { jobMarketAbi } from "@accord/client/abi";
import { decodeResultBundle } from "@accord/client/sandbox/bundle";
import type { ResultBundle } from "@accord/client/sandbox";
import { openResult, type ResultKeyPair } from "@accord/client/seal";
import { CID } from "multiformats/cid";
import { bytesToHex, type Address } from "viem";
import type { Config } from "wagmi";
import { getPublicClient } from "wagmi/actions";
import type { JobDetail, ReplicaRow } from "../types.ts";

/** What opening a result reads of a job: a job page's JobDetail, or a run's cell made into one (RunResults). */
export type OpenableJob = Pick<JobDetail, "id" | "state" | "consensusCid"> & {
  settlement?: Pick<NonNullable<JobDetail["settlement"]>, "block">;
  replicaRows: Pick<ReplicaRow, "provider" | "outcome" | "sealedResultCid">[];
};

export class ResultUnavailableError extends Error {
  fix: string;
  constructor(message: string, fix: string) {
    super(message);
    this.name = "ResultUnavailableError";
    this.fix = fix;
  }
}

export type OpenedResult = { bundle: ResultBundle; bytes: Uint8Array; cid: string; from: Address };

/**
 * The consensus digest as the chain says it: read from the JobSettled log through the RPC, so
 * what the browser checks against does not rest on the web server's index.
 */
async function settledDigest(wagmi: Config, market: Address, job: OpenableJob): Promise<`0x${string}`> {
  const client = getPublicClient(wagmi)!;
  const block = BigInt(job.settlement!.block);
  const logs = await client.getContractEvents({ address: market, abi: jobMarketAbi, eventName: "JobSettled", args: { jobId: BigInt(job.id) }, fromBlock: block, toBlock: block });
  const digest = logs[0]?.args.resultDigest;
  if (!digest) throw new ResultUnavailableError("The chain has no settlement for this job at the block the server named.", "Reload the page; if it persists, the web server's index is wrong.");
  return digest;
}

/**
 * Fetches the sealed result of an agreeing provider, decrypts it here with the requester's key,
 * and checks it is the result the quorum agreed on: its CID must carry the on-chain consensus
 * digest. Tries each agreeing provider in turn until one serves a result that checks out.
 */
export async function openJobResult(wagmi: Config, market: Address, job: OpenableJob, key: ResultKeyPair): Promise<OpenedResult> {
  if (job.state !== "Succeeded" || !job.consensusCid) throw new ResultUnavailableError("This job has no consensus result.", "Only a job that succeeded has a result to download.");
  const digest = await settledDigest(wagmi, market, job);
  const expected = CID.parse(job.consensusCid);
  if (bytesToHex(expected.multihash.digest) !== digest)
    throw new ResultUnavailableError(`The result CID ${job.consensusCid} does not carry the consensus digest ${digest}.`, "Reload the page; if it persists, the web server's index is wrong.");
  const agreeing = job.replicaRows.filter((r) => r.outcome === "Agreed" && r.sealedResultCid);
  const problems: string[] = [];
  for (const r of agreeing) {
    try {
      const res = await fetch(`/api/content/${r.sealedResultCid}?job=${job.id}`);
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as { error?: string };
        throw new Error(body.error ?? `the server answered ${res.status}`);
      }
      const envelope = new Uint8Array(await res.arrayBuffer());
      const bytes = await openResult({ envelope, secretKey: key.secretKey, jobId: BigInt(job.id), expectedCid: expected });
      return { bundle: decodeResultBundle(bytes), bytes, cid: expected.toString(), from: r.provider };
    } catch (err) {
      problems.push(`${r.provider}: ${(err as { shortMessage?: string }).shortMessage ?? (err as Error).message}`);
    }
  }
  throw new ResultUnavailableError(
    `No agreeing provider served a result that decrypts and matches the consensus.\n${problems.join("\n")}`,
    "If it says the result failed authentication, sign with the account that posted the job; if no provider answers, try again later.",
  );
}
