// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {JobSettlement} from "./JobSettlement.sol";
import {IMarketCore} from "./interfaces/IMarketCore.sol";
import {JobParams, JobState, JobView, Parameters, Permit, ReplicaView} from "./types/MarketTypes.sol";
import {Config, JobCore, JobRecord, JobTerms, ProviderBond, ProviderHot, ProviderRecord} from "./types/Storage.sol";
import {BidEntry} from "./libraries/BidEntry.sol";
import {CidLib} from "./libraries/CidLib.sol";
import {Limits} from "./libraries/Limits.sol";

/// @title Accord JobMarket
/// @notice Post, bid, award, commit, reveal; settlement and deadline paths live in JobSettlement.
/// See IJobMarket for the API and docs/PROTOCOL.md for the rules.
contract JobMarket is JobSettlement {
    using SafeERC20 for IERC20;
    using BidEntry for uint256;

    constructor(IERC20 token_, address owner_, Parameters memory parameters_)
        JobSettlement(token_, owner_, parameters_)
    {}

    // ------------------------------------------------------------------ post and cancel

    /// @inheritdoc IMarketCore
    function postJob(JobParams calldata params) external nonReentrant returns (uint256 jobId) {
        uint256 escrow;
        (jobId, escrow) = _post(params);
        _token.safeTransferFrom(msg.sender, address(this), escrow);
    }

    /// @inheritdoc IMarketCore
    function postJobWithPermit(JobParams calldata params, Permit calldata permit)
        external
        nonReentrant
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

    /// @inheritdoc IMarketCore
    function cancel(uint256 jobId) external nonReentrant {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state != JobState.Open) revert WrongJobState(jobId, c.state, JobState.Open);
        address requester = rec.terms.requester;
        if (msg.sender != requester) revert NotRequester(jobId, msg.sender, requester);
        _close(jobId, rec, c, JobState.Cancelled);
    }

    // ------------------------------------------------------------------ auction

    /// @inheritdoc IMarketCore
    function bid(uint256 jobId, uint256 price) external nonReentrant {
        _bid(jobId, price, 0);
    }

    /// @inheritdoc IMarketCore
    function bidAndCommit(uint256 jobId, uint256 price, bytes32 commitment) external nonReentrant {
        _bid(jobId, price, commitment);
    }

    /// @inheritdoc IMarketCore
    function award(uint256 jobId) external nonReentrant {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state != JobState.Open) revert WrongJobState(jobId, c.state, JobState.Open);
        if (block.timestamp < c.deadline) revert DeadlineNotReached(jobId, c.deadline, block.timestamp);
        _award(jobId, rec, c);
    }

    // ------------------------------------------------------------------ commit and reveal

    /// @inheritdoc IMarketCore
    function commit(uint256 jobId, bytes32 commitment) external nonReentrant {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state != JobState.Committing) revert WrongJobState(jobId, c.state, JobState.Committing);
        if (block.timestamp >= c.deadline) revert DeadlinePassed(jobId, c.deadline, block.timestamp);
        uint256 i = _replicaIndex(jobId, rec, c.bids);
        uint256 bit = 1 << i;
        if (c.commitMask & bit != 0) revert AlreadyCommitted(jobId, msg.sender);
        rec.commitments[i] = commitment;
        c.commitMask |= uint16(bit);
        emit Committed(jobId, msg.sender, commitment);
        if (c.commitMask == _allBits(c.bids)) _openRevealNow(jobId, c);
        _store(rec, c);
    }

    /// @inheritdoc IMarketCore
    function reveal(uint256 jobId, bytes calldata resultCid, bytes32 salt, bytes calldata sealedResultCid)
        external
        nonReentrant
    {
        bytes32 digest = CidLib.digest(resultCid);
        CidLib.digest(sealedResultCid);
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state == JobState.Committing && block.timestamp >= c.deadline) _openReveal(jobId, c);
        if (c.state != JobState.Revealing) revert WrongJobState(jobId, c.state, JobState.Revealing);
        if (block.timestamp >= c.deadline) revert DeadlinePassed(jobId, c.deadline, block.timestamp);
        uint256 i = _replicaIndex(jobId, rec, c.bids);
        uint256 bit = 1 << i;
        if (c.commitMask & bit == 0) revert NotCommitted(jobId, msg.sender);
        if (c.revealMask & bit != 0) revert AlreadyRevealed(jobId, msg.sender);
        bytes32 committed = rec.commitments[i];
        bytes32 revealed = keccak256(abi.encode(jobId, msg.sender, digest, salt));
        if (revealed != committed) revert CommitmentMismatch(jobId, msg.sender, committed, revealed);
        // The commitment has served its purpose; the digest takes its (already nonzero) slot.
        rec.commitments[i] = digest;
        c.revealMask |= uint16(bit);
        emit Revealed(jobId, msg.sender, resultCid, sealedResultCid);
        if (c.revealMask == c.commitMask) _close(jobId, rec, c, JobState.Succeeded);
        else _store(rec, c);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IMarketCore
    function getJob(uint256 jobId) external view returns (JobView memory v) {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        JobTerms memory t = rec.terms;
        bool live = c.state < JobState.Succeeded;
        v.requester = t.requester;
        v.state = c.state;
        v.replicas = c.replicas;
        v.quorum = c.quorum;
        v.bids = c.bids;
        v.commits = uint8(_popcount(c.commitMask));
        v.reveals = uint8(_popcount(c.revealMask));
        v.awardOnFill = c.awardOnFill;
        v.minReputation = c.minReputation;
        v.protocolFeeBps = t.feeBps;
        v.collateralRatioBps = c.collateralBps;
        v.maxPrice = t.maxPrice;
        v.escrow = live ? _escrow(c.replicas, t.maxPrice, t.feeBps) : 0;
        v.deadline = live ? c.deadline : 0;
        v.commitWindow = c.commitWindow;
        v.revealWindow = c.revealWindow;
    }

    /// @inheritdoc IMarketCore
    function getReplicas(uint256 jobId) external view returns (ReplicaView[] memory out) {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        out = new ReplicaView[](c.bids);
        uint256 collateral = _collateral(rec.terms.maxPrice, c.collateralBps);
        for (uint256 i; i < c.bids; ++i) {
            uint256 e = rec.entries[i];
            bool committed = c.commitMask & (1 << i) != 0;
            out[i] = ReplicaView({
                provider: e.provider(),
                price: e.price(),
                collateral: collateral,
                reputation: uint16(e.reputation()),
                committed: committed,
                revealed: c.revealMask & (1 << i) != 0,
                commitmentOrDigest: committed ? rec.commitments[i] : bytes32(0)
            });
        }
    }

    /// @inheritdoc IMarketCore
    function escrowOf(uint256 jobId) external view returns (uint256) {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state >= JobState.Succeeded) return 0;
        return _escrow(c.replicas, rec.terms.maxPrice, rec.terms.feeBps);
    }

    // ------------------------------------------------------------------ internal

    /// @dev A bid, carrying a commitment unless `commitment` is 0. Before the award, bit i of
    /// `commitMask` marks book entry i as committed; the mask and the commitments move with the book,
    /// so a displaced bid takes its commitment with it and the award finds the winners' ones in place.
    function _bid(uint256 jobId, uint256 price, bytes32 commitment) private {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state != JobState.Open) revert WrongJobState(jobId, c.state, JobState.Open);
        if (block.timestamp >= c.deadline) revert BiddingClosed(jobId, c.deadline, block.timestamp);
        uint256 maxPrice = rec.terms.maxPrice;
        if (price == 0 || price > maxPrice) revert BidPriceOutOfRange(jobId, price, maxPrice);

        uint256 collateral = _collateral(maxPrice, c.collateralBps);
        uint256 entry = _checkBidder(c, price, collateral);

        uint256 n = c.bids;
        uint256 worst;
        uint256 worstAt;
        for (uint256 i; i < n; ++i) {
            uint256 e = rec.entries[i];
            if (e.provider() == msg.sender) revert AlreadyBid(jobId, msg.sender);
            // Taking every bid that does not beat the current worst keeps the latest of equally bad
            // bids as the worst, so among equals the earlier bids stay.
            if (i == 0 || !e.beats(worst)) {
                worst = e;
                worstAt = i;
            }
        }
        uint256 at = n;
        if (n < c.replicas) {
            c.bids = uint8(n + 1);
        } else {
            if (!entry.beats(worst)) revert BidNotCompetitive(jobId, price, worst.price());
            // Shift the book so it stays in arrival order, which is what breaks exact ties; committed
            // entries take their commitments along (a displacement is rare, the extra writes are too).
            uint256 mask = c.commitMask;
            for (uint256 i = worstAt; i + 1 < n; ++i) {
                rec.entries[i] = rec.entries[i + 1];
                if (mask & (1 << (i + 1)) != 0) rec.commitments[i] = rec.commitments[i + 1];
            }
            uint256 below = (1 << worstAt) - 1;
            c.commitMask = uint16((mask & below) | ((mask >> 1) & ~below));
            at = n - 1;
            _unlock(worst.provider(), collateral);
            emit BidDisplaced(jobId, worst.provider(), worst.price(), collateral);
        }
        rec.entries[at] = entry;
        if (commitment != 0) {
            rec.commitments[at] = commitment;
            c.commitMask |= uint16(1 << at);
        }
        emit BidPlaced(jobId, msg.sender, price, collateral);

        if (c.awardOnFill && c.bids == c.replicas) _award(jobId, rec, c);
        else _store(rec, c);
    }

    /// @dev Validates the job, takes a record (reusing a finished job's when there is one) and writes it.
    /// The caller moves the escrow in afterwards (value transfer last).
    function _post(JobParams calldata p) private returns (uint256 jobId, uint256 escrow) {
        CidLib.digest(p.manifestCid);
        _checkParams(p);
        Config memory cfg = _config;
        bool awardOnFill = p.bidWindow == 0;
        uint40 bidDeadline = uint40(block.timestamp + (awardOnFill ? cfg.fillTimeout : p.bidWindow));

        // Records are reused round-robin: the cursor's record is taken if its job has ended, and the
        // cursor moves on either way. Settlement then writes nothing global (a free list would cost
        // every settlement a write of its head); a record still live at the cursor costs one fresh
        // record, and the ring grows to fit the jobs that are live at once.
        uint32 index;
        uint32 generation;
        uint32 at = cfg.cursor;
        if (at != 0) {
            JobCore storage old = _records[at].core;
            cfg.cursor = at == cfg.records ? 1 : at + 1;
            // A record whose generation is exhausted retires, so a job id is never issued twice.
            if (old.state >= JobState.Succeeded && old.generation != type(uint32).max) {
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
            deadline: bidDeadline,
            replicas: p.replicas,
            quorum: p.quorum,
            awardOnFill: awardOnFill,
            collateralBps: cfg.collateralRatioBps,
            minReputation: p.minReputation,
            commitWindow: uint24(p.commitWindow),
            revealWindow: uint24(p.revealWindow),
            generation: generation
        });
        rec.terms = JobTerms({requester: msg.sender, maxPrice: uint80(p.maxPrice), feeBps: cfg.protocolFeeBps});
        jobId = (uint256(generation) << 32) | index;
        escrow = _escrow(p.replicas, p.maxPrice, cfg.protocolFeeBps);
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

    function _checkParams(JobParams calldata p) private pure {
        if (p.replicas == 0 || p.replicas > Limits.MAX_REPLICAS) revert ReplicasOutOfRange(p.replicas, Limits.MAX_REPLICAS);
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

    /// @dev Checks the caller may bid and locks its collateral; returns its book entry.
    function _checkBidder(JobCore memory c, uint256 price, uint256 collateral)
        private
        returns (uint256 entry)
    {
        ProviderRecord storage p = _providers[msg.sender];
        ProviderBond memory b = p.bond;
        if (!b.registered) revert NotRegistered(msg.sender);
        uint256 minStake = _config.minStake;
        if (b.stake < minStake) revert StakeBelowMinimum(msg.sender, b.stake, minStake);
        ProviderHot memory h = p.hot;
        uint256 score = h.score;
        if (score < c.minReputation) revert ReputationTooLow(msg.sender, score, c.minReputation);
        uint256 free = b.stake - h.locked;
        if (free < collateral) revert InsufficientFreeStake(msg.sender, free, collateral);
        h.locked += uint96(collateral);
        p.hot = h;
        entry = BidEntry.pack(msg.sender, score, price);
    }

    /// @dev Index of the caller in the book; reverts `NotAReplica`. Bounded by k <= 16.
    function _replicaIndex(uint256 jobId, JobRecord storage rec, uint256 n) private view returns (uint256) {
        for (uint256 i; i < n; ++i) {
            if (rec.entries[i].provider() == msg.sender) return i;
        }
        revert NotAReplica(jobId, msg.sender);
    }
}
