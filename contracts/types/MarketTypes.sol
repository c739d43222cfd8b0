// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Where a job is in its lifecycle. States only move forward; the last five are terminal.
/// `None` is what a view reports for an id that was never issued.
enum JobState {
    None,
    Open, // taking bids until the bid deadline (or until k bids with a zero bid window); after an escalation, for the next round
    Committing, // awarded; winners commit until the commit deadline or until all have committed
    Revealing, // committers reveal until the reveal deadline or until all have revealed
    Succeeded, // a digest reached the quorum; agreeing providers were paid
    NoConsensus, // revealed, but no digest reached the quorum, with no replica left to escalate to; the requester was refunded
    Failed, // fewer than `quorum` winners committed; the requester was refunded
    Cancelled, // the requester cancelled before the award
    Expired // fewer than `quorum` bids by the bid deadline
}

/// @notice What settlement decided for one awarded provider (one replica).
enum ReplicaOutcome {
    Agreed, // revealed the consensus digest: paid its bid, collateral released
    Dissented, // revealed another digest while a consensus existed: collateral slashed
    MissedCommit, // awarded but never committed: collateral slashed
    MissedReveal, // committed but never revealed: collateral slashed
    Unresolved // committed (and revealed, if the job got that far) but no consensus could judge it: collateral released
}

/// @notice What a requester asks for in `postJob`.
/// @param manifestCid Binary CIDv1 of the job manifest (0x01, 0x55|0x70, 0x12, 0x20, 32-byte sha2-256 digest).
/// @param replicas k: independent runs wanted, 1..16.
/// @param quorum m: identical results needed, k/2 < m <= k.
/// @param maxReplicas The most replicas escalation may bring the job to, k..16 (0 means k: never
/// escalates). The escrow covers this many; what no round used is refunded at settlement.
/// @param maxPrice Most the requester pays one provider for one replica, in token units (< 2^80).
/// @param bidWindow Seconds of bidding; 0 awards the moment k bids are in (the owner's `fillTimeout` then bounds the wait).
/// @param commitWindow Seconds the winners have to commit after the award.
/// @param revealWindow Seconds the committers have to reveal once the reveal phase opens.
/// @param minReputation Lowest reputation score (basis points, 0..10_000) a bidder may have.
struct JobParams {
    bytes manifestCid;
    uint8 replicas;
    uint8 quorum;
    uint8 maxReplicas;
    uint256 maxPrice;
    uint32 bidWindow;
    uint32 commitWindow;
    uint32 revealWindow;
    uint16 minReputation;
}

/// @notice An ERC-2612 permit signed by the requester for the job's escrow.
struct Permit {
    uint256 value;
    uint256 deadline;
    uint8 v;
    bytes32 r;
    bytes32 s;
}

/// @notice Owner-set parameters. Fee and collateral ratio are snapshotted into each job when it is posted.
/// @param minStake Stake (token units) a provider needs to bid.
/// @param unbondingDelay Seconds between `requestUnstake` and `withdrawUnstaked`.
/// @param protocolFeeBps Fee on what providers are paid, in basis points, at most 500 (5 %).
/// @param collateralRatioBps Collateral each bid and replica locks, in basis points of the job's max price
/// (1_000..50_000), rounded up.
/// @param fillTimeout Seconds a zero-bid-window job waits for k bids before it awards what it has (>= quorum) or expires.
/// @param treasury Receives the protocol fee (credited; it withdraws like anyone else).
/// @param poolWindow Seconds an award-on-fill job takes bids into its pool before replicas are drawn
/// (0..255). 0 awards the first `replicas` bids with no draw: no protection against a bidder with many
/// identities, for deployments whose providers are known (and for tests of other rules).
/// @param seedDelay Seconds from a pool's close to the earliest block whose randomness draws it (0..255);
/// see docs/PROTOCOL.md, "Selection", for the value each kind of chain needs.
struct Parameters {
    uint96 minStake;
    uint32 unbondingDelay;
    uint16 protocolFeeBps;
    uint16 collateralRatioBps;
    uint32 fillTimeout;
    address treasury;
    uint8 poolWindow;
    uint8 seedDelay;
}

/// @notice A job as the views report it.
struct JobView {
    address requester;
    JobState state;
    uint8 replicas;
    uint8 quorum;
    /// The cap escalation may bring the replicas to (k when the requester allowed no escalation).
    uint8 maxReplicas;
    /// 0 until the job escalates; then the number of the round that is open or last ran.
    uint8 round;
    /// Entries in the book: every round's replicas, then the open round's pool.
    uint8 bids;
    /// Replicas holding a commitment. While Open this includes bids placed with `bidAndCommit`, which
    /// become commits of awarded replicas (and emit `Committed`) only at the award.
    uint8 commits;
    uint8 reveals;
    bool awardOnFill;
    uint16 minReputation;
    uint16 protocolFeeBps;
    uint16 collateralRatioBps;
    uint256 maxPrice;
    /// Escrow still held for this job (0 once terminal).
    uint256 escrow;
    /// Deadline of the current phase (0 once terminal). While Open: the earliest time `award` can act,
    /// which is the pool's close, plus the seed delay when more bids than replicas wait for the draw, or
    /// the fill deadline when an award-on-fill pool is still short of `replicas` after its window.
    uint64 deadline;
    uint32 commitWindow;
    uint32 revealWindow;
}

/// @notice One bid, or once awarded one replica.
struct ReplicaView {
    address provider;
    uint256 price;
    uint256 collateral;
    /// The provider's reputation score (bps) now.
    uint16 reputation;
    bool committed;
    bool revealed;
    /// The commitment while committed, the revealed result digest once revealed, else 0.
    bytes32 commitmentOrDigest;
    /// The entry's weight in the draw: its provider's stake when it bid, capped at Limits.WEIGHT_CAP
    /// collaterals, in thousandths of the job's collateral.
    uint256 weight;
}

/// @notice A provider as the views report it.
struct ProviderView {
    bool registered;
    bytes peerId;
    string[] multiaddrs;
    /// Advertised price, token units per 1e9 fuel.
    uint256 askPrice;
    uint256 stake;
    uint256 locked;
    uint256 unbonding;
    uint64 unbondingAvailableAt;
    /// Earnings credited and not yet withdrawn.
    uint256 earnings;
    /// Replicas settled, and how: activity counts (jobs it posted itself are not counted).
    uint32 awarded;
    uint32 agreed;
    uint32 dissented;
    uint32 missed;
    /// Reputation, bps: (agreedValue + prior) * 10_000 / (judgedValue + 2 * prior), prior = minStake
    /// (at least 1) when last judged; 5_000 for a newcomer. See docs/PROTOCOL.md, "Reputation".
    uint16 score;
    /// Sum of the prices others paid it for agreeing with other replicas (jobs with quorum >= 2).
    uint256 agreedValue;
    /// agreedValue plus the max price of each job where it dissented or missed a commit or reveal.
    uint256 judgedValue;
}
