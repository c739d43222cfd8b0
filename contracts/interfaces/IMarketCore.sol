// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IMarketEvents} from "./IMarketEvents.sol";
import {Parameters} from "../types/MarketTypes.sol";

/// @notice The part of the JobMarket API that JobMarket's own code implements: the job lifecycle from
/// the first bid to settlement, batching, owner parameters and their views. The rest runs from the
/// ProviderRegistry (IProviderRegistry) and the JobBoard (IJobBoard).
interface IMarketCore is IMarketEvents {
    // ------------------------------------------------------------------ jobs

    /// @notice The requester cancels an Open job: bidders' collateral is unlocked, the escrow credited back.
    /// Not once the job escalated (`JobEscalatedAlready`): its earlier replicas are owed a judgement.
    function cancel(uint256 jobId) external;

    /// @notice Bids `price` (<= maxPrice) for one replica, locking the job's collateral,
    /// `ceil(maxPrice * collateralRatio)`, of free stake (whatever the price).
    /// The bid enters the job's pool (up to Limits.MAX_POOL entries), weighted by the caller's stake
    /// (capped); a full pool takes it only in place of its lightest entry, which is displaced. Replicas
    /// are drawn from the pool at random by weight when it closes (docs/PROTOCOL.md, "Selection").
    /// With a zero bid window, a bid after the pool window that brings the pool to k awards the job.
    /// After an escalation the bid enters the open round's pool, for providers not yet in the job, and
    /// the bid that fills the round's `extra` replicas after its pool window awards the round.
    function bid(uint256 jobId, uint256 price) external;

    /// @notice `bid` carrying the caller's commitment, for a provider that ran the job before bidding
    /// (the manifest is public from the post): `commitment = keccak256(abi.encode(jobId, msg.sender,
    /// resultDigest, salt))`, as for `commit`. The commitment stays with the bid: it leaves with it if
    /// the bid is displaced or not drawn, and counts as the replica's commit if the bid is drawn
    /// (`Committed` is emitted at the award). When every winner committed this way, the award opens the
    /// reveal phase at once. A zero commitment is a plain bid.
    function bidAndCommit(uint256 jobId, uint256 price, bytes32 commitment) external;

    /// @notice Once the pool has closed (`getJob(jobId).deadline`): draws `replicas` winners from a pool
    /// holding more, at random by weight from this block's randomness, or awards a pool of `quorum` to
    /// `replicas` bids whole, or expires the job (fewer than `quorum` bids). Anyone. After an escalation,
    /// the same for the open round's pool and its `extra` replicas; a round nobody bid on ends the job
    /// NoConsensus.
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

    /// @notice Settles a job in the reveal phase once all committers revealed or the reveal deadline passed,
    /// or escalates it (`JobEscalated`) when no digest has the quorum and its maxReplicas allows more.
    function finalize(uint256 jobId) external;

    /// @notice Pushes any job whose phase deadline passed as far as the deadlines allow: awards or
    /// expires an Open job, fails or opens reveal on a Committing job, settles a Revealing job. Anyone.
    function claim(uint256 jobId) external;

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


    /// @notice The ProviderRegistry whose code serves the provider and balance functions (IProviderRegistry)
    /// on this market's address, by delegatecall. Never call it directly.
    function providerRegistry() external view returns (address);
}
