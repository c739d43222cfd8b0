import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The provider's Prometheus metrics, on their own registry so several nodes can share a process (tests, devnet). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "accord_provider_process_" });
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name: `accord_provider_${name}`, help, labelNames, registers: [registry] });
  return {
    registry,
    jobsSeen: counter("jobs_seen_total", "Jobs posted on the market that the node evaluated"),
    declines: counter("declines_total", "Jobs the node chose not to bid for, by rule", ["rule"]),
    bids: counter("bids_total", "Bids placed"),
    wins: counter("wins_total", "Replicas awarded to this node"),
    lost: counter("bids_lost_total", "Bids that did not win (displaced, expired, cancelled, outbid)"),
    runs: counter("runs_total", "Sandbox runs, by how they ended", ["status"]),
    runErrors: counter("run_errors_total", "Runs that produced no result (fetch failed, crash, backstop)"),
    commits: counter("commits_total", "Commitments sent"),
    reveals: counter("reveals_total", "Reveals sent"),
    settlements: counter("replica_settlements_total", "Replicas of this node settled, by outcome", ["outcome"]),
    slashes: counter("slashes_total", "Replicas of this node whose collateral was slashed"),
    slashed: counter("slashed_token_units_total", "Collateral slashed, token units"),
    earnings: counter("earnings_token_units_total", "Paid for agreed replicas, token units"),
    withdrawn: counter("withdrawn_token_units_total", "Earnings withdrawn to the provider's account, token units"),
    claims: counter("claims_total", "award/finalize/claim transactions this node sent for stuck jobs"),
    txs: counter("transactions_total", "Transactions sent, by function", ["function"]),
    txErrors: counter("transaction_errors_total", "Transactions mined and reverted, or that could not be sent, by function (not refusals or lost races)", ["function"]),
    refusals: counter("transaction_refusals_total", "Calls the market refused at their simulation, before anything was paid: news about the job, by function", ["function"]),
    racesLost: counter("races_lost_total", "Calls mined after another party had moved the job (refused inside their batch), by function", ["function"]),
    rpcRetries: counter("rpc_retries_total", "RPC failures ridden out"),
    sandboxSeconds: new Histogram({
      name: "accord_provider_sandbox_seconds",
      help: "Sandbox run time",
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600],
      registers: [registry],
    }),
    fuel: counter("fuel_used_total", "Fuel burned by completed runs"),
    awardToReveal: new Histogram({
      name: "accord_provider_award_to_reveal_seconds",
      help: "From seeing the award to the reveal being mined",
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    jobsInFlight: new Gauge({ name: "accord_provider_jobs_in_flight", help: "Jobs the node still owes something to", registers: [registry] }),
    lastBlock: new Gauge({ name: "accord_provider_last_processed_block", help: "Last block whose events were all handled", registers: [registry] }),
    rpcUp: new Gauge({ name: "accord_provider_rpc_up", help: "1 when the last chain request succeeded", registers: [registry] }),
  };
}

export type ProviderMetrics = ReturnType<typeof createMetrics>;
