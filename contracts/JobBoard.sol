// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {MarketState} from "./MarketState.sol";
import {IJobBoard} from "./interfaces/IJobBoard.sol";
import {JobParams, JobState, JobView, Permit, ReplicaView} from "./types/MarketTypes.sol";
import {Config, JobCore, JobRecord, JobTerms} from "./types/Storage.sol";
import {BidEntry} from "./libraries/BidEntry.sol";
import {CidLib} from "./libraries/CidLib.sol";
import {Limits} from "./libraries/Limits.sol";
import {Rounds} from "./libraries/Rounds.sol";

/// @title Accord job board
/// @notice Where a market's jobs are posted and read. Its ProviderRegistry creates one and runs it by
/// delegatecall for every function the registry does not have, so posting and the job views live on the
/// market's address, in the market's storage (MarketState), one hop past the registry, and share its
/// reentrancy guard; the market sends posts here directly (MarketBase's fallback), saving them that hop.
/// Apart, JobMarket's own code keeps room under the EIP-170 size limit for the rules a job meets from
/// its first bid to settlement.
contract JobBoard is MarketState, IJobBoard, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using BidEntry for uint256;
    using Rounds for uint16;

    /// This contract's own address and its registry's: under the market's delegatecalls `address(this)`
    /// is the market's instead.
    address private immutable _self;
    address private immutable _registry;

    constructor(IERC20 token_) MarketState(token_) {
        _self = address(this);
        _registry = msg.sender;
    }

    /// @dev Posted on the board's or the registry's own address, a job's escrow would sit where no
    /// market function can ever pay or refund it: only a market's delegatecall may post.
    modifier onlyThroughMarket() {
        if (address(this) == _self || address(this) == _registry) revert NotThroughMarket();
        _;
    }

    // ------------------------------------------------------------------ post

    /// @inheritdoc IJobBoard
    function postJob(JobParams calldata params) external nonReentrant onlyThroughMarket returns (uint256 jobId) {
        uint256 escrow;
        (jobId, escrow) = _post(params);
        _token.safeTransferFrom(msg.sender, address(this), escrow);
    }

    /// @inheritdoc IJobBoard
    function postJobWithPermit(JobParams calldata params, Permit calldata permit)
        external
        nonReentrant
        onlyThroughMarket
        returns (uint256 jobId)
    {
        uint256 escrow;
        (jobId, escrow) = _post(params);
        // A permit can be front-run (its signature is public once in the mempool); if that happened
        // the allowance is already there, so only a permit that left too little allowance fails.
        try IERC20Permit(address(_token)).permit(
            msg.sender, address(this), permit.value, permit.deadline, permit.v, permit.r, permit.s
        ) {} catch {}
        uint256 allowance = _token.allowance(msg.sender, address(this));
        if (allowance < escrow) revert PermitFailed(msg.sender, allowance, escrow);
        _token.safeTransferFrom(msg.sender, address(this), escrow);
    }

    // ------------------------------------------------------------------ views


    /// @inheritdoc IJobBoard
    function getJob(uint256 jobId) external view returns (JobView memory v) {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        JobTerms memory t = rec.terms;
        bool live = c.state < JobState.Succeeded;
        v.requester = t.requester;
        v.state = c.state;
        v.replicas = c.replicas;
        v.quorum = c.quorum;
        v.maxReplicas = uint8(c.rounds.cap());
        v.round = uint8(c.rounds.round());
        v.bids = c.bids;
        v.commits = uint8(_popcount(c.commitMask));
        v.reveals = uint8(_popcount(c.revealMask));
        v.awardOnFill = c.awardOnFill;
        v.minReputation = c.minReputation;
        v.protocolFeeBps = t.feeBps;
        v.collateralRatioBps = c.collateralBps;
        v.maxPrice = t.maxPrice;
        v.escrow = live ? _escrow(c.rounds.cap(), t.maxPrice, t.feeBps) : 0;
        v.deadline = !live ? 0 : c.state == JobState.Open ? uint64(_awardTime(c)) : c.deadline;
        v.commitWindow = c.commitWindow;
        v.revealWindow = c.revealWindow;
    }

    /// @inheritdoc IJobBoard
    function getReplicas(uint256 jobId) external view returns (ReplicaView[] memory out) {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        out = new ReplicaView[](c.bids);
        uint256 collateral = _collateral(rec.terms.maxPrice, c.collateralBps);
        for (uint256 i; i < c.bids; ++i) {
            uint256 e = rec.entries[i];
            bool committed = c.commitMask & (1 << i) != 0;
            bool revealed = c.revealMask & (1 << i) != 0;
            out[i] = ReplicaView({
                provider: e.provider(),
                price: e.price(),
                collateral: collateral,
                reputation: _providers[e.provider()].hot.score,
                committed: committed,
                revealed: revealed,
                commitmentOrDigest: revealed ? _revealed(rec, c, i) : committed ? rec.commitments[i] : bytes32(0),
                weight: e.weight()
            });
        }
    }

    /// @inheritdoc IJobBoard
    function escrowOf(uint256 jobId) external view returns (uint256) {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state >= JobState.Succeeded) return 0;
        return _escrow(c.rounds.cap(), rec.terms.maxPrice, rec.terms.feeBps);
    }

    // ------------------------------------------------------------------ internal

    /// @dev Validates the job, takes a record (reusing a finished job's when there is one) and writes it.
    /// The caller moves the escrow in afterwards (value transfer last).
    function _post(JobParams calldata p) private returns (uint256 jobId, uint256 escrow) {
        CidLib.digest(p.manifestCid);
        uint256 cap = _checkParams(p);
        Config memory cfg = _config;
        bool awardOnFill = p.bidWindow == 0;
        // Award on fill: the pool window (owner's), then, for a pool still short of k, the rest of the
        // fill timeout. `bidDeadline` in the event is the last moment any bid can be taken.
        uint256 window = awardOnFill ? cfg.poolWindow : p.bidWindow;
        uint256 extension = awardOnFill && cfg.fillTimeout > window ? cfg.fillTimeout - window : 0;
        uint40 poolClose = uint40(block.timestamp + window);
        uint40 bidDeadline = uint40(poolClose + extension);

        // Records are reused round-robin: the cursor's record is taken if its job has ended, and the
        // cursor moves on either way. Settlement then writes nothing global (a free list would cost
        // every settlement a write of its head); a record still live at the cursor costs one fresh
        // record, and the ring grows to fit the jobs that are live at once.
        uint32 index;
        uint16 generation;
        uint32 at = cfg.cursor;
        if (at != 0) {
            JobCore storage old = _records[at].core;
            cfg.cursor = at == cfg.records ? 1 : at + 1;
            // A record whose generation is exhausted retires, so a job id is never issued twice.
            if (old.state >= JobState.Succeeded && old.generation != type(uint16).max) {
                index = at;
                generation = old.generation + 1;
            }
        }
        if (index == 0) {
            index = ++cfg.records;
            generation = 1;
            if (at == 0) cfg.cursor = 1;
        }
        _config = cfg;

        JobRecord storage rec = _records[index];
        rec.core = JobCore({
            state: JobState.Open,
            bids: 0,
            commitMask: 0,
            revealMask: 0,
            deadline: poolClose,
            replicas: p.replicas,
            quorum: p.quorum,
            awardOnFill: awardOnFill,
            collateralBps: cfg.collateralRatioBps,
            minReputation: p.minReputation,
            commitWindow: uint24(p.commitWindow),
            revealWindow: uint24(p.revealWindow),
            generation: generation,
            rounds: Rounds.init(cap),
            fillExtension: uint24(extension),
            seedDelay: cfg.seedDelay
        });
        rec.terms = JobTerms({requester: msg.sender, maxPrice: uint80(p.maxPrice), feeBps: cfg.protocolFeeBps});
        jobId = (uint256(generation) << 32) | index;
        // Every replica escalation may add is paid for up front, so a round never waits on the requester.
        escrow = _escrow(cap, p.maxPrice, cfg.protocolFeeBps);
        _emitPosted(jobId, p, escrow, bidDeadline, awardOnFill);
    }

    /// @dev Apart from `_post` only to keep the stack shallow.
    function _emitPosted(uint256 jobId, JobParams calldata p, uint256 escrow, uint40 bidDeadline, bool awardOnFill)
        private
    {
        emit JobPosted(
            jobId,
            msg.sender,
            p.manifestCid,
            p.replicas,
            p.quorum,
            p.maxPrice,
            escrow,
            bidDeadline,
            p.commitWindow,
            p.revealWindow,
            p.minReputation,
            awardOnFill
        );
    }

    /// @dev Returns the cap on replicas (maxReplicas, or k when it is 0).
    function _checkParams(JobParams calldata p) private pure returns (uint256 cap) {
        if (p.replicas == 0 || p.replicas > Limits.MAX_REPLICAS) revert ReplicasOutOfRange(p.replicas, Limits.MAX_REPLICAS);
        cap = p.maxReplicas == 0 ? p.replicas : p.maxReplicas;
        if (cap < p.replicas || cap > Limits.MAX_REPLICAS) {
            revert MaxReplicasOutOfRange(p.maxReplicas, p.replicas, Limits.MAX_REPLICAS);
        }
        if (p.quorum > p.replicas || 2 * uint256(p.quorum) <= p.replicas) revert QuorumOutOfRange(p.quorum, p.replicas);
        if (p.maxPrice == 0 || p.maxPrice > Limits.MAX_PRICE_UNITS) revert MaxPriceOutOfRange(p.maxPrice, Limits.MAX_PRICE_UNITS);
        if (p.bidWindow > Limits.MAX_BID_WINDOW_SECONDS) revert BidWindowTooLong(p.bidWindow, Limits.MAX_BID_WINDOW_SECONDS);
        if (p.commitWindow < Limits.MIN_PHASE_WINDOW_SECONDS || p.commitWindow > Limits.MAX_PHASE_WINDOW_SECONDS) {
            revert CommitWindowOutOfRange(p.commitWindow, Limits.MIN_PHASE_WINDOW_SECONDS, Limits.MAX_PHASE_WINDOW_SECONDS);
        }
        if (p.revealWindow < Limits.MIN_PHASE_WINDOW_SECONDS || p.revealWindow > Limits.MAX_PHASE_WINDOW_SECONDS) {
            revert RevealWindowOutOfRange(p.revealWindow, Limits.MIN_PHASE_WINDOW_SECONDS, Limits.MAX_PHASE_WINDOW_SECONDS);
        }
        if (p.minReputation > Limits.MAX_REPUTATION_BPS) {
            revert MinReputationOutOfRange(p.minReputation, Limits.MAX_REPUTATION_BPS);
        }
    }
}
