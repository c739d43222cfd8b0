// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MarketBase} from "./MarketBase.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {JobState, Parameters, ReplicaOutcome} from "./types/MarketTypes.sol";
import {JobCore, JobRecord, JobTerms, ProviderHot, ProviderRecord} from "./types/Storage.sol";
import {BidEntry} from "./libraries/BidEntry.sol";
import {Limits} from "./libraries/Limits.sol";

/// @notice Job records, the deadline paths (award, reveal opening, finalize, claim) and settlement.
abstract contract JobSettlement is MarketBase {
    using BidEntry for uint256;

    mapping(uint32 record => JobRecord) internal _records;

    /// @dev What one settlement moved, summed over its replicas.
    struct Totals {
        uint256 paid;
        uint256 slashed;
    }

    constructor(IERC20 token_, address owner_, Parameters memory parameters_)
        MarketBase(token_, owner_, parameters_)
    {}

    /// @inheritdoc IJobMarket
    function finalize(uint256 jobId) external nonReentrant {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state == JobState.Committing && block.timestamp >= c.deadline) _openReveal(jobId, c);
        if (c.state != JobState.Revealing) revert WrongJobState(jobId, c.state, JobState.Revealing);
        if (block.timestamp < c.deadline) revert DeadlineNotReached(jobId, c.deadline, block.timestamp);
        _close(jobId, rec, c, JobState.Succeeded);
    }

    /// @inheritdoc IJobMarket
    function claim(uint256 jobId) external nonReentrant {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state >= JobState.Succeeded) revert JobTerminal(jobId, c.state);
        if (block.timestamp < c.deadline) revert DeadlineNotReached(jobId, c.deadline, block.timestamp);
        if (c.state == JobState.Open) return _award(jobId, rec, c);
        if (c.state == JobState.Committing) {
            if (_popcount(c.commitMask) < c.quorum) return _close(jobId, rec, c, JobState.Failed);
            _openReveal(jobId, c);
            if (block.timestamp < c.deadline) {
                _store(rec, c);
                return;
            }
        }
        _close(jobId, rec, c, JobState.Succeeded);
    }

    // ------------------------------------------------------------------ internal

    /// @dev The record behind a job id; reverts `JobNotFound` for ids never issued or already reused.
    function _load(uint256 jobId) internal view returns (JobRecord storage rec, JobCore memory c) {
        uint32 index = uint32(jobId);
        uint256 generation = jobId >> 32;
        rec = _records[index];
        c = rec.core;
        if (index == 0 || generation == 0 || c.generation != generation) revert JobNotFound(jobId);
    }

    /// @dev One place that writes a job's core slot (the legacy code generator expands every struct
    /// assignment inline, so sharing it keeps the contract under the size limit).
    function _store(JobRecord storage rec, JobCore memory c) internal {
        rec.core = c;
    }

    /// @dev Awards the book (>= quorum bids) or expires the job. Writes the core. Winners that bid with
    /// `bidAndCommit` are committed from this moment: `Committed` is emitted for them here, after
    /// `JobAwarded`, so every reader can keep reading it as "an awarded replica committed" whichever
    /// path it came by; if every winner had committed, the reveal phase opens in the same transaction.
    function _award(uint256 jobId, JobRecord storage rec, JobCore memory c) internal {
        if (c.bids < c.quorum) return _close(jobId, rec, c, JobState.Expired);
        c.state = JobState.Committing;
        c.deadline = uint40(block.timestamp + c.commitWindow);
        emit JobAwarded(jobId, c.bids, c.deadline);
        uint256 mask = c.commitMask;
        for (uint256 i; mask >> i != 0; ++i) {
            if (mask & (1 << i) != 0) emit Committed(jobId, rec.entries[i].provider(), rec.commitments[i]);
        }
        if (mask == _allBits(c.bids)) _openRevealNow(jobId, c);
        _store(rec, c);
    }

    /// @dev The reveal phase opening because every winner committed: it runs from now.
    function _openRevealNow(uint256 jobId, JobCore memory c) internal {
        c.state = JobState.Revealing;
        c.deadline = uint40(block.timestamp + c.revealWindow);
        emit RevealOpened(jobId, c.deadline);
    }

    /// @dev The reveal phase opening at the commit deadline, applied lazily by whoever comes first.
    /// Measured from the deadline, not from the caller's clock, so a late caller cannot extend it.
    function _openReveal(uint256 jobId, JobCore memory c) internal {
        uint256 commits = _popcount(c.commitMask);
        if (commits < c.quorum) revert TooFewCommits(jobId, commits, c.quorum);
        c.state = JobState.Revealing;
        c.deadline += c.revealWindow;
        emit RevealOpened(jobId, c.deadline);
    }

    /// @dev Ends a job. `target` is Succeeded for a settlement (which becomes NoConsensus without a
    /// quorum), or Failed, Cancelled, Expired. Credits everyone and writes the core; a terminal record is reusable.
    function _close(uint256 jobId, JobRecord storage rec, JobCore memory c, JobState target) internal {
        JobTerms memory t = rec.terms;
        uint256 escrow = _escrow(c.replicas, t.maxPrice, t.feeBps);
        bytes32 consensus;
        Totals memory sum;
        if (target == JobState.Succeeded) {
            bool found;
            (found, consensus) = _consensus(rec, c);
            if (!found) target = JobState.NoConsensus;
            _settleReplicas(jobId, rec, c, found, consensus, sum);
        } else if (target == JobState.Failed) {
            _settleReplicas(jobId, rec, c, false, 0, sum);
        } else {
            // Cancelled or Expired: nobody was awarded, bids just get their collateral back.
            for (uint256 i; i < c.bids; ++i) {
                uint256 e = rec.entries[i];
                _unlock(e.provider(), e.price() * c.collateralBps / Limits.BPS);
            }
        }
        uint256 fee = sum.paid * t.feeBps / Limits.BPS;
        // Checked arithmetic: paid + fee can never exceed the escrow (each price <= maxPrice).
        uint256 refunded = escrow - sum.paid - fee;
        if (refunded + sum.slashed != 0) _credits[t.requester] += refunded + sum.slashed;
        if (fee != 0) {
            // Beyond 96 bits of accrued fees, the treasury is credited like anyone else.
            uint256 fees = _treasury.fees + fee;
            if (fees <= type(uint96).max) _treasury.fees = uint96(fees);
            else _credits[_treasury.account] += fee;
        }

        c.state = target; // the record is free for reuse from here (see _post)
        _store(rec, c);
        emit JobSettled(jobId, target, consensus, sum.paid, fee, refunded, sum.slashed);
    }

    /// @dev The digest at least `quorum` reveals agree on. Unique when it exists, since quorum > k/2.
    function _consensus(JobRecord storage rec, JobCore memory c) private view returns (bool, bytes32) {
        uint256 n = c.bids;
        bytes32[] memory digests = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            if (c.revealMask & (1 << i) != 0) digests[i] = rec.commitments[i];
        }
        for (uint256 i; i < n; ++i) {
            if (c.revealMask & (1 << i) == 0) continue;
            uint256 votes;
            for (uint256 j = i; j < n; ++j) {
                if (c.revealMask & (1 << j) != 0 && digests[j] == digests[i]) ++votes;
            }
            if (votes >= c.quorum) return (true, digests[i]);
        }
        return (false, 0);
    }

    /// @dev Pays, releases or slashes each replica and updates its provider's reputation.
    function _settleReplicas(
        uint256 jobId,
        JobRecord storage rec,
        JobCore memory c,
        bool found,
        bytes32 consensus,
        Totals memory sum
    ) private {
        for (uint256 i; i < c.bids; ++i) {
            uint256 e = rec.entries[i];
            uint256 bit = 1 << i;
            ReplicaOutcome outcome;
            if (c.commitMask & bit == 0) outcome = ReplicaOutcome.MissedCommit;
            else if (c.revealMask & bit == 0) outcome = c.state == JobState.Committing
                ? ReplicaOutcome.Unresolved // a Failed job: its committers never got to reveal
                : ReplicaOutcome.MissedReveal;
            else if (!found) outcome = ReplicaOutcome.Unresolved;
            else if (rec.commitments[i] == consensus) outcome = ReplicaOutcome.Agreed;
            else outcome = ReplicaOutcome.Dissented;
            _settleReplica(jobId, e, c.collateralBps, outcome, sum);
        }
    }

    function _settleReplica(uint256 jobId, uint256 e, uint256 collateralBps, ReplicaOutcome outcome, Totals memory sum)
        private
    {
        address provider = e.provider();
        uint256 price = e.price();
        uint256 collateral = price * collateralBps / Limits.BPS;
        ProviderRecord storage p = _providers[provider];
        ProviderHot memory h = p.hot;
        h.locked -= uint96(collateral);
        h.awarded += 1;
        uint256 paid;
        uint256 slashed;
        if (outcome == ReplicaOutcome.Agreed) {
            h.agreed += 1;
            paid = price;
            // Earnings share a 96-bit field; beyond it they are credited instead, never lost.
            if (uint256(h.earnings) + price <= Limits.MAX_STAKE_UNITS) h.earnings += uint96(price);
            else _credits[provider] += price;
        } else if (outcome != ReplicaOutcome.Unresolved) {
            slashed = collateral;
            if (slashed != 0) p.bond.stake -= uint96(slashed);
            if (outcome == ReplicaOutcome.Dissented) p.dissented += 1;
            else p.missed += 1;
        }
        p.hot = h;
        sum.paid += paid;
        sum.slashed += slashed;
        emit ReplicaSettled(jobId, provider, outcome, paid, slashed);
    }

    function _escrow(uint256 replicas, uint256 maxPrice, uint256 feeBps) internal pure returns (uint256) {
        uint256 gross = replicas * maxPrice;
        return gross + gross * feeBps / Limits.BPS;
    }

    function _allBits(uint256 n) internal pure returns (uint16) {
        return uint16((1 << n) - 1);
    }

    function _popcount(uint256 x) internal pure returns (uint256 count) {
        for (; x != 0; x &= x - 1) {
            ++count;
        }
    }
}
