/**
 * The `event` field of the daemon's log lines that an operator or a test acts on. Messages are
 * written for people and may be reworded; these names are the interface (log queries, alerts, the
 * process tests in test/) and change only with the docs (docs/PROTOCOL.md, "Provider node").
 */
export const LOG_EVENTS = {
  /** The node decided not to bid (`rule`, `reason`). */
  declined: "job.declined",
  /** No peer served a job's content; it is fetched again after `retryInMs` while bidding is open. */
  contentRetry: "job.contentRetry",
  /** A job that waited for capacity is bid for now. */
  bidAfterWaiting: "job.bidAfterWaiting",
  /** A JobPosted left alone because nobody can reach this node. */
  notBiddingUnreachable: "job.unreachable",
  bidPlaced: "bid.placed",
  /** Our bid is out: not drawn, or displaced from a full pool. */
  bidLeftPool: "bid.leftPool",
  /** A job this node lost or declined escalated: it is evaluated again for the new round. */
  escalated: "job.escalated",
  won: "replica.won",
  /** A committed result run again after a restart, to seal it. */
  resealed: "replica.resealed",
  committed: "replica.committed",
  revealed: "replica.revealed",
  /** A run of an awarded replica failed (`error`: the error's class, `attempts`, `final` once the node gives up). */
  runFailed: "replica.runFailed",
  settled: "replica.settled",
  slashed: "replica.slashed",
  /** A market call mined and reverted (`function`, `reason`, `txHash`). */
  txReverted: "tx.reverted",
  /** A push past a deadline another party made first in the same block. */
  raceLost: "tx.raceLost",
  listingUpdated: "listing.updated",
  /** At start: no public address and no relay reservation. */
  unreachable: "node.unreachable",
  /** At start: reachable through relays only. */
  relayed: "node.relayed",
  /** A fault mode (tests, demos) deviated from the protocol (`fault`, `deviation`). */
  fault: "fault",
} as const;

export type LogEvent = (typeof LOG_EVENTS)[keyof typeof LOG_EVENTS];
