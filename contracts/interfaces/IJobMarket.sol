// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {
    JobParams, JobState, JobView, Parameters, Permit, ProviderView, ReplicaOutcome, ReplicaView
} from "../types/MarketTypes.sol";

/// @title Accord JobMarket
/// @notice Escrow, stake, reverse auction, commit-reveal and quorum settlement for replicated
/// WebAssembly jobs, on one ERC-20 chosen at deployment. See docs/PROTOCOL.md, "## Contracts".
/// @dev Job ids are opaque: `(generation << 32) | record`. A terminal job's storage record is
/// reused by a later job (this keeps its slots nonzero, which is most of the gas budget), after
/// which views of the old id revert with `JobNotFound`; its whole history stays in the events.
interface IJobMarket {
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
    /// @notice A bid entered the best k; `collateral` was locked from the provider's stake.
    event BidPlaced(uint256 indexed jobId, address indexed provider, uint256 price, uint256 collateral);
    /// @notice A better bid pushed this one out of the best k; its collateral was unlocked.
    event BidDisplaced(uint256 indexed jobId, address indexed provider, uint256 price, uint256 collateral);
    /// @notice The job was awarded to its `winners` bids (see `getReplicas`); commits are due by `commitDeadline`.
    event JobAwarded(uint256 indexed jobId, uint8 winners, uint64 commitDeadline);
    /// @notice An awarded replica committed to its result. Emitted by `commit`, or at the award (after
    /// `JobAwarded`, in book order) for each winner that bid with `bidAndCommit`: a commitment carried by
    /// a bid shows only in the `bidAndCommit` calldata and `getReplicas` until the award, and never in
    /// this event if the bid is displaced.
    event Committed(uint256 indexed jobId, address indexed provider, bytes32 commitment);
    /// @notice The reveal phase opened (every winner committed, or the commit deadline passed with enough commits).
    event RevealOpened(uint256 indexed jobId, uint64 revealDeadline);
    /// @notice A committer revealed. `sealedResultCid` is the result bundle encrypted to the requester.
    event Revealed(uint256 indexed jobId, address indexed provider, bytes resultCid, bytes sealedResultCid);
    /// @notice Settlement of one replica; the provider's reputation counters changed as `outcome` says
    /// (awarded+1 always; agreed, dissented or missed +1 for the matching outcome).
    event ReplicaSettled(
        uint256 indexed jobId, address indexed provider, ReplicaOutcome outcome, uint256 paid, uint256 slashed
    );
    /// @notice The job reached a terminal state. `paid + fee + refunded == escrow`; `slashed` is
    /// collateral credited to the requester on top of `refunded`. `resultDigest` is 0 without consensus.
    event JobSettled(
        uint256 indexed jobId,
        JobState state,
        bytes32 resultDigest,
        uint256 paid,
        uint256 fee,
        uint256 refunded,
        uint256 slashed
    );
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
    error BidNotCompetitive(uint256 jobId, uint256 price, uint256 worstPrice);
    error AlreadyBid(uint256 jobId, address provider);
    error NotRegistered(address provider);
    error AlreadyRegistered(address provider);
    error StakeBelowMinimum(address provider, uint256 stake, uint256 minStake);
    error InsufficientFreeStake(address provider, uint256 free, uint256 needed);
    error ReputationTooLow(address provider, uint256 score, uint256 minReputation);
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
    error UnbondingDelayTooLong(uint256 delay, uint256 max);
    error FillTimeoutOutOfRange(uint256 fillTimeout, uint256 min, uint256 max);
    error InvalidTreasury(address treasury);
    error InvalidToken(address token);

    // ------------------------------------------------------------------ providers

    /// @notice Registers the caller as a provider (once per address).
    /// @param peerId Binary libp2p peer id (1..64 bytes).
    /// @param multiaddrs Where to reach the provider (at most 8, each at most 256 bytes).
    /// @param askPrice Advertised price in token units per 1e9 fuel, so requesters can estimate cost.
    function registerProvider(bytes calldata peerId, string[] calldata multiaddrs, uint256 askPrice) external;

    /// @notice Replaces the caller's peer id, addresses and ask price.
    function updateProvider(bytes calldata peerId, string[] calldata multiaddrs, uint256 askPrice) external;

    /// @notice Adds `amount` to the caller's stake (needs a prior approval). Caller must be registered.
    function stake(uint256 amount) external;

    /// @notice Moves `amount` of free (unlocked) stake into unbonding and restarts the unbonding clock
    /// for everything unbonding.
    function requestUnstake(uint256 amount) external;

    /// @notice Sends the caller all of its unbonded stake once the unbonding delay has passed.
    /// @return amount What was sent.
    function withdrawUnstaked() external returns (uint256 amount);

    // ------------------------------------------------------------------ jobs

    /// @notice Posts a job and moves its escrow (replicas * maxPrice plus the protocol fee on it)
    /// from the caller (prior approval).
    /// @return jobId The job's id.
    function postJob(JobParams calldata params) external returns (uint256 jobId);

    /// @notice `postJob` with an ERC-2612 permit for the escrow, in one transaction. A permit that
    /// fails (e.g. already used by a front-runner) is ignored if the allowance suffices anyway.
    function postJobWithPermit(JobParams calldata params, Permit calldata permit) external returns (uint256 jobId);

    /// @notice The requester cancels an Open job: bidders' collateral is unlocked, the escrow credited back.
    function cancel(uint256 jobId) external;

    /// @notice Bids `price` (<= maxPrice) for one replica, locking `price * collateralRatio` of free stake.
    /// With a full book the bid must beat the worst of the best k (lower price; ties: higher reputation,
    /// then earlier), which is displaced. With a zero bid window, the bid that fills k awards the job.
    function bid(uint256 jobId, uint256 price) external;

    /// @notice `bid` carrying the caller's commitment, for a provider that ran the job before bidding
    /// (the manifest is public from the post): `commitment = keccak256(abi.encode(jobId, msg.sender,
    /// resultDigest, salt))`, as for `commit`. The commitment stays with the bid: it leaves with it if
    /// the bid is displaced, and counts as the replica's commit if the bid is awarded (`Committed` is
    /// emitted at the award). When every winner committed this way, the award opens the reveal phase
    /// at once, so with a zero bid window the k-th `bidAndCommit` awards and opens reveal. A zero
    /// commitment is a plain bid.
    function bidAndCommit(uint256 jobId, uint256 price, bytes32 commitment) external;

    /// @notice After the bid deadline: awards the bids in (>= quorum) or expires the job (< quorum). Anyone.
    function award(uint256 jobId) external;

    /// @notice A winner commits `keccak256(abi.encode(jobId, msg.sender, resultDigest, salt))`.
    /// The last commit opens the reveal phase. A winner that committed with `bidAndCommit` is already
    /// committed (`AlreadyCommitted`).
    function commit(uint256 jobId, bytes32 commitment) external;

    /// @notice A committer reveals its result CID and salt; the contract checks them against its
    /// commitment. The last reveal settles the job. Opens the reveal phase itself if the commit deadline
    /// passed with enough commits.
    /// @param resultCid Binary CID of the plaintext result bundle (its digest is what was committed).
    /// @param sealedResultCid Binary CID of the result bundle sealed to the requester (only emitted).
    function reveal(uint256 jobId, bytes calldata resultCid, bytes32 salt, bytes calldata sealedResultCid) external;

    /// @notice Settles a job in the reveal phase once all committers revealed or the reveal deadline passed.
    function finalize(uint256 jobId) external;

    /// @notice Pushes any job whose phase deadline passed as far as the deadlines allow: awards or
    /// expires an Open job, fails or opens reveal on a Committing job, settles a Revealing job. Anyone.
    function claim(uint256 jobId) external;

    /// @notice Sends the caller everything credited to it (refunds, slashed collateral, earnings, fees).
    /// @return amount What was sent.
    function withdraw() external returns (uint256 amount);

    // ------------------------------------------------------------------ batching

    /// @notice Runs each of `data` (ABI-encoded calls of this contract's functions) as if the caller had
    /// sent it alone, in order, in one transaction, and never reverts because an item did: a lost bid
    /// does not sink the other bids and reveals of a provider's batch. Each item keeps every check it
    /// has on its own (msg.sender is the caller; each goes through the reentrancy guard). Refused with
    /// `ReentrancyGuardReentrantCall` when entered from inside another market call.
    /// @return ok Whether item i succeeded (a failed item changed nothing).
    /// @return results Item i's return data, or its revert data (decode with the ABI's errors).
    function tryMulticall(bytes[] calldata data) external returns (bool[] memory ok, bytes[] memory results);

    // ------------------------------------------------------------------ owner

    /// @notice Sets the owner parameters. Running jobs keep the fee and collateral ratio they were posted with.
    function setParameters(Parameters calldata parameters) external;

    // ------------------------------------------------------------------ views

    /// @notice The settlement token.
    function token() external view returns (IERC20);

    /// @notice The current owner parameters.
    function parameters() external view returns (Parameters memory);

    /// @notice A job's state. Reverts with `JobNotFound` for unknown (or reused) ids.
    function getJob(uint256 jobId) external view returns (JobView memory);

    /// @notice The job's bids (before the award) or replicas (after), in book order. Before the award,
    /// `committed` marks a bid placed with `bidAndCommit`.
    function getReplicas(uint256 jobId) external view returns (ReplicaView[] memory);

    /// @notice Escrow currently held for a job (0 when terminal).
    function escrowOf(uint256 jobId) external view returns (uint256);

    /// @notice A provider's record (registered == false for strangers).
    function getProvider(address provider) external view returns (ProviderView memory);

    /// @notice What `withdraw` would send `account` now.
    function withdrawable(address account) external view returns (uint256);
}
