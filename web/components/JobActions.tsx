"use client";
import { jobMarketAbi } from "@accord/client/abi";
import { JOB_STATES } from "@accord/client/chain";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useConfig, useConnection } from "wagmi";
import { getPublicClient } from "wagmi/actions";
import { useAppConfig } from "@/lib/client/app-config.tsx";
import { formatDuration } from "@/lib/client/format.ts";
import { useMarketTx } from "@/lib/client/use-market-tx.ts";
import { useMounted } from "@/lib/client/use-mounted.ts";
import type { JobDetail } from "@/lib/types.ts";
import { TxStatus } from "./TxStatus.tsx";
import { WrongNetwork } from "./WrongNetwork.tsx";

type ChainJob = { state: string; requester: string; deadline: number; bids: number; commits: number; quorum: number; now: number } | { state: "Gone" };

/**
 * The job as the contract sees it now, with the latest block's clock: whether cancel or claim
 * applies is the contract's call, not the index's (which may lag a block). Under the "api" key,
 * so every new block refetches it like the page's other data.
 */
function useChainJob(id: string, enabled: boolean) {
  const wagmi = useConfig();
  const app = useAppConfig();
  return useQuery({
    queryKey: ["api", "chain-job", id],
    enabled,
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: async (): Promise<ChainJob> => {
      const client = getPublicClient(wagmi)!;
      const [job, block] = await Promise.all([
        client.readContract({ address: app.jobMarket, abi: jobMarketAbi, functionName: "getJob", args: [BigInt(id)] }).catch(() => undefined),
        client.getBlock({ blockTag: "latest" }),
      ]);
      // getJob reverts once the record is reused by a later job: this one ended long ago.
      if (!job) return { state: "Gone" };
      return { state: JOB_STATES[job.state]!, requester: job.requester, deadline: Number(job.deadline), bids: job.bids, commits: job.commits, quorum: job.quorum, now: Number(block.timestamp) };
    },
  });
}

/** What `claim` would do to a job past its deadline, in words. */
function claimEffect(j: Exclude<ChainJob, { state: "Gone" }>): { button: string; why: string } {
  if (j.state === "Open")
    return j.bids < j.quorum
      ? { button: "Claim: expire the job and refund the escrow", why: `The bid deadline passed with ${j.bids} bid${j.bids === 1 ? "" : "s"}, fewer than the quorum of ${j.quorum}.` }
      : { button: "Claim: award the job to its bids", why: `The bid deadline passed with ${j.bids} bids in.` };
  if (j.state === "Committing")
    return j.commits < j.quorum
      ? { button: "Claim: fail the job and refund the escrow", why: `The commit deadline passed with ${j.commits} commit${j.commits === 1 ? "" : "s"}, fewer than the quorum of ${j.quorum}; the missing providers' collateral goes to the requester.` }
      : { button: "Claim: open the reveal phase", why: `The commit deadline passed with ${j.commits} commits in.` };
  return { button: "Claim: settle the job", why: "The reveal deadline passed; settlement pays the providers that agreed and slashes those that did not reveal." };
}

/**
 * Cancel (the requester, before the award) and claim (anyone, past the phase deadline), shown
 * only when the contract would accept them; a job nobody pushes would otherwise keep its escrow.
 */
export function JobActions({ job }: { job: JobDetail }) {
  const mounted = useMounted();
  const conn = useConnection();
  const tx = useMarketTx();
  const [confirming, setConfirming] = useState(false);
  const running = !job.settlement;
  const chain = useChainJob(job.id, running);
  const c = chain.data;
  const live = c && c.state !== "Gone" && (c.state === "Open" || c.state === "Committing" || c.state === "Revealing") ? c : undefined;

  const isRequester = !!conn.address && conn.address.toLowerCase() === job.requester.toLowerCase();
  const canCancel = live?.state === "Open";
  const claimable = live && live.now >= live.deadline ? claimEffect(live) : undefined;
  const showStatus = tx.state.phase !== "idle";
  const network = <WrongNetwork doing="Sending a transaction" />;
  if (!mounted || (!canCancel && !claimable && !showStatus)) return null;

  const id = BigInt(job.id);
  return (
    <section className="card" aria-labelledby="actions-title" id="actions" data-testid="job-actions">
      <div className="card-head">
        <h2 id="actions-title">Actions</h2>
      </div>
      <div className="stack">
        {network}
        {canCancel && (isRequester || !conn.isConnected) && (
          <div className="row">
            {confirming ? (
              <div className="row" role="group" aria-label="Confirm cancelling">
                <span className="small">Cancel this job? Providers can no longer bid; the whole escrow is credited back to you.</span>
                <button
                  type="button"
                  className="button danger"
                  data-testid="confirm-cancel"
                  disabled={tx.busy}
                  autoFocus
                  onClick={() => {
                    setConfirming(false);
                    void tx.run({ functionName: "cancel", args: [id] });
                  }}
                >
                  Yes, cancel the job
                </button>
                <button type="button" className="button ghost" onClick={() => setConfirming(false)}>
                  Keep it
                </button>
              </div>
            ) : (
              <>
                <button type="button" className="button danger" data-testid="cancel-job" disabled={tx.busy || !conn.isConnected} onClick={() => setConfirming(true)}>
                  Cancel job
                </button>
                <span className="small muted">
                  {conn.isConnected ? "No provider has been awarded yet: cancelling credits the whole escrow back to you, ready to withdraw." : "Connect the requester's wallet (top right) to cancel."}
                </span>
              </>
            )}
          </div>
        )}
        {claimable && live && (
          <div className="row">
            <button type="button" className="button" data-testid="claim-job" disabled={tx.busy || !conn.isConnected} onClick={() => void tx.run({ functionName: "claim", args: [id] })}>
              {claimable.button}
            </button>
            <span className="small muted">
              {claimable.why} Deadline passed {formatDuration(live.now - live.deadline)} ago; anyone can push the job on. {!conn.isConnected && "Connect a wallet (top right) to send it."}
            </span>
          </div>
        )}
        <TxStatus state={tx.state} done={tx.state.phase === "confirmed" && tx.state.call.functionName === "cancel" ? "Job cancelled; the escrow is credited to you." : "Job claimed."} failed={tx.state.phase === "failed" && tx.state.call.functionName === "cancel" ? "The job was not cancelled" : "The job was not claimed"} />
      </div>
    </section>
  );
}
