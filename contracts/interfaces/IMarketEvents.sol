// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {JobState, Parameters, ReplicaOutcome} from "../types/MarketTypes.sol";

/// @notice Every event and error of the market, for both halves of its code (JobMarket and the
/// ProviderRegistry it runs by delegatecall): each reverts with and emits from the market's address.
interface IMarketEvents {
    // ------------------------------------------------------------------ events: providers

    /// @notice A provider registered (once per address).
    event ProviderRegistered(address indexed provider, bytes peerId, string[] multiaddrs, uint256 askPrice);
    /// @notice A provider changed its peer id, addresses or ask price.
    event ProviderUpdated(address indexed provider, bytes peerId, string[] multiaddrs, uint256 askPrice);
    /// @notice Stake was added.
    event Staked(address indexed provider, uint256 amount, uint256 stake);
    /// @notice Stake moved into unbonding; all of `unbonding` can be withdrawn at `availableAt`.
    event UnstakeRequested(address indexed provider, uint256 amount, uint256 unbonding, uint64 availableAt);
    /// @notice Unbonded stake left the contract.
    event Unstaked(address indexed provider, uint256 amount);

    // ------------------------------------------------------------------ events: jobs

    /// @notice A job was posted and `escrow` moved into the contract.
    event JobPosted(
        uint256 indexed jobId,
        address indexed requester,
        bytes manifestCid,
        uint8 replicas,
        uint8 quorum,
        uint256 maxPrice,
        uint256 escrow,
        uint64 bidDeadline,
        uint32 commitWindow,
        uint32 revealWindow,
        uint16 minReputation,
        bool awardOnFill
    );
    /// @notice A bid entered the job's pool; `collateral` (the job's, from its max price) was locked from the provider's stake.
    event BidPlaced(uint256 indexed jobId, address indexed provider, uint256 price, uint256 collateral);
    /// @notice The bid left the pool, its collateral unlocked: a heavier bid took its place in a full pool,
    /// or the draw did not pick it (emitted at the award, after `ReplicasDrawn`).
    event BidDisplaced(uint256 indexed jobId, address indexed provider, uint256 price, uint256 collateral);
    /// @notice `replicas` winners were drawn from a pool of `pool` bids with `seed`
    /// (`keccak256(abi.encode(block.prevrandao, blockhash(block.number - 1), jobId, the pool's entries))`);
    /// the others were displaced.
    event ReplicasDrawn(uint256 indexed jobId, bytes32 seed, uint8 pool);
    /// @notice The job was awarded to its `winners` bids (see `getReplicas`); commits are due by `commitDeadline`.
    /// After an escalation: the open round's winners, the last `winners` entries of the book.
    event JobAwarded(uint256 indexed jobId, uint8 winners, uint64 commitDeadline);
    /// @notice An awarded replica committed to its result. Emitted by `commit`, or at the award (after
    /// `JobAwarded`, in book order) for each winner that bid with `bidAndCommit`. The commitment itself is
    /// in the `commit` or `bidAndCommit` calldata and in `getReplicas` until the replica reveals: carrying
    /// it here made the award read every winner's commitment slot back (~3,000 gas of a 3-of-6 draw).
    event Committed(uint256 indexed jobId, address indexed provider);
    /// @notice The reveal phase opened (every winner committed, or the commit deadline passed with enough commits).
    event RevealOpened(uint256 indexed jobId, uint64 revealDeadline);
    /// @notice A committer revealed. The result's CID and the sealed result's (the bundle encrypted to the
    /// requester) are CIDv1 sha2-256, so each is its codec and digest: `0x01 codec 0x12 0x20 digest`, with
    /// `codecs` = the result's codec << 8 | the sealed result's (0x55 raw or 0x70 dag-pb). Three words
    /// instead of two `bytes` (offsets, lengths, padding: eight words), ~1,300 gas of every reveal.
    event Revealed(
        uint256 indexed jobId, address indexed provider, bytes32 resultDigest, bytes32 sealedResultDigest, uint16 codecs
    );
    /// @notice Settlement of one replica; the provider's reputation counters changed as `outcome` says
    /// (awarded+1 always; agreed, dissented or missed +1 for the matching outcome), unless the provider
    /// is the job's requester (a self-dealt replica changes no counter). `slashed` went to the treasury.
    event ReplicaSettled(
        uint256 indexed jobId, address indexed provider, ReplicaOutcome outcome, uint256 paid, uint256 slashed
    );
    /// @notice The job reached a terminal state. `paid + fee + refunded == escrow`; `slashed` is
    /// collateral credited to the treasury with the fee, less any restitution for escalation rounds
    /// (`Restituted`), which never exceeds what the requester paid for them. `resultDigest` is 0
    /// without consensus.
    event JobSettled(
        uint256 indexed jobId,
        JobState state,
        bytes32 resultDigest,
        uint256 paid,
        uint256 fee,
        uint256 refunded,
        uint256 slashed
    );
    /// @notice No digest had the quorum when the job would have settled, and the requester allowed more
    /// replicas: round `round` (1 for the first escalation) takes bids for `extra` more replicas from
    /// providers not yet in the job until `poolCloses`, then draws them as the first round was. Earlier
    /// replicas keep their revealed digests; every replica is judged when the last round ends.
    event JobEscalated(uint256 indexed jobId, uint8 round, uint8 extra, uint64 poolCloses);
    /// @notice Of an escalated job's slashed collateral, `amount` went to the requester: what it paid
    /// (price and fee) for replicas beyond the k it asked for, at most. `JobSettled.slashed` includes it.
    event Restituted(uint256 indexed jobId, address indexed requester, uint256 amount);
    /// @notice Credited funds left the contract.
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice The owner changed the parameters (future jobs snapshot fee and collateral ratio).
    event ParametersChanged(Parameters parameters);

    // ------------------------------------------------------------------ errors

    /// @notice A CID is not a binary CIDv1 raw/dag-pb sha2-256 CID (0x01, 0x55|0x70, 0x12, 0x20, 32 bytes).
    error InvalidCid(bytes cid);
    error ReplicasOutOfRange(uint256 replicas, uint256 max);
    /// @notice The quorum must satisfy replicas/2 < quorum <= replicas.
    error QuorumOutOfRange(uint256 quorum, uint256 replicas);
    error MaxPriceOutOfRange(uint256 maxPrice, uint256 max);
    error BidWindowTooLong(uint256 bidWindow, uint256 max);
    error CommitWindowOutOfRange(uint256 commitWindow, uint256 min, uint256 max);
    error RevealWindowOutOfRange(uint256 revealWindow, uint256 min, uint256 max);
    error MinReputationOutOfRange(uint256 minReputation, uint256 max);
    /// @notice maxReplicas must be 0 (no escalation) or between replicas and Limits.MAX_REPLICAS.
    error MaxReplicasOutOfRange(uint256 maxReplicas, uint256 replicas, uint256 max);
    /// @notice The job escalated: its earlier rounds' replicas are owed a judgement, so it can no longer be cancelled.
    error JobEscalatedAlready(uint256 jobId, uint256 round);
    /// @notice The permit did not take effect and the allowance does not cover the escrow.
    error PermitFailed(address owner, uint256 allowance, uint256 needed);
    /// @notice No job has this id (never issued, or its record was reused by a later job).
    error JobNotFound(uint256 jobId);
    error WrongJobState(uint256 jobId, JobState state, JobState expected);
    /// @notice The job already reached a terminal state; there is nothing left to push.
    error JobTerminal(uint256 jobId, JobState state);
    error NotRequester(uint256 jobId, address caller, address requester);
    /// @notice Bids are no longer taken: the bid deadline passed.
    error BiddingClosed(uint256 jobId, uint256 deadline, uint256 timestamp);
    /// @notice The current phase's deadline has not passed yet.
    error DeadlineNotReached(uint256 jobId, uint256 deadline, uint256 timestamp);
    /// @notice The current phase's deadline has passed.
    error DeadlinePassed(uint256 jobId, uint256 deadline, uint256 timestamp);
    error BidPriceOutOfRange(uint256 jobId, uint256 price, uint256 maxPrice);
    /// @notice The best k bids are in and this one does not beat the worst of them.
    error PoolFull(uint256 jobId, uint256 weight, uint256 lightestWeight);
    error PoolWindowTooLong(uint256 poolWindow, uint256 max);
    error SeedDelayTooLong(uint256 seedDelay, uint256 max);
    error AlreadyBid(uint256 jobId, address provider);
    error NotRegistered(address provider);
    error AlreadyRegistered(address provider);
    error StakeBelowMinimum(address provider, uint256 stake, uint256 minStake);
    error InsufficientFreeStake(address provider, uint256 free, uint256 needed);
    error ReputationTooLow(address provider, uint256 score, uint256 minReputation);
    /// @notice The caller holds no replica of the job's open round (an earlier round's replica can no
    /// longer commit or reveal: its round's deadlines passed).
    error NotAReplica(uint256 jobId, address caller);
    error AlreadyCommitted(uint256 jobId, address provider);
    error NotCommitted(uint256 jobId, address provider);
    error AlreadyRevealed(uint256 jobId, address provider);
    /// @notice keccak256(abi.encode(jobId, provider, resultDigest, salt)) is not what the provider committed.
    error CommitmentMismatch(uint256 jobId, address provider, bytes32 committed, bytes32 revealed);
    /// @notice Not enough commits to open the reveal phase; `claim` the job to fail it.
    error TooFewCommits(uint256 jobId, uint256 commits, uint256 quorum);
    error ZeroAmount();
    error AmountTooLarge(uint256 amount, uint256 max);
    error UnstakeExceedsFree(address provider, uint256 amount, uint256 free);
    error UnbondingNotFinished(address provider, uint256 availableAt, uint256 timestamp);
    error NothingToWithdraw(address account);
    error PeerIdLengthOutOfRange(uint256 length, uint256 max);
    error TooManyMultiaddrs(uint256 count, uint256 max);
    error MultiaddrTooLong(uint256 index, uint256 length, uint256 max);
    error AskPriceTooLarge(uint256 askPrice, uint256 max);
    error ProtocolFeeTooHigh(uint256 feeBps, uint256 max);
    error CollateralRatioTooHigh(uint256 ratioBps, uint256 max);
    /// @notice Below this ratio collateral would be no deterrent (and could round to zero).
    error CollateralRatioTooLow(uint256 ratioBps, uint256 min);
    error UnbondingDelayTooLong(uint256 delay, uint256 max);
    error FillTimeoutOutOfRange(uint256 fillTimeout, uint256 min, uint256 max);
    error InvalidTreasury(address treasury);
    error InvalidToken(address token);
    /// @notice The provider registry's code runs only inside a JobMarket: call the market's address.
    error NotThroughMarket();
}
