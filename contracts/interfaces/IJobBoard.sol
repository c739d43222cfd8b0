// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMarketEvents} from "./IMarketEvents.sol";
import {JobParams, JobView, Permit, ReplicaView} from "../types/MarketTypes.sol";

/// @notice Posting jobs and reading them. Part of a market's API (IJobMarket): served on the market's
/// address by the JobBoard code its registry runs by delegatecall (docs/PROTOCOL.md, "Contract layout").
interface IJobBoard is IMarketEvents {
    /// @notice Posts a job and moves its escrow (maxReplicas * maxPrice plus the protocol fee on it)
    /// from the caller (prior approval).
    /// @return jobId The job's id.
    function postJob(JobParams calldata params) external returns (uint256 jobId);

    /// @notice `postJob` with an ERC-2612 permit for the escrow, in one transaction. A permit that
    /// fails (e.g. already used by a front-runner) is ignored if the allowance suffices anyway.
    function postJobWithPermit(JobParams calldata params, Permit calldata permit) external returns (uint256 jobId);

    /// @notice A job's state. Reverts with `JobNotFound` for unknown (or reused) ids.
    function getJob(uint256 jobId) external view returns (JobView memory);

    /// @notice The job's bids (before the award) or replicas (after), in book order: the pool before the award, the drawn replicas after. Before the award,
    /// `committed` marks a bid placed with `bidAndCommit`.
    function getReplicas(uint256 jobId) external view returns (ReplicaView[] memory);

    /// @notice Escrow currently held for a job (0 when terminal).
    function escrowOf(uint256 jobId) external view returns (uint256);
}
