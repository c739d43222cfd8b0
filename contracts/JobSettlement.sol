// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MarketBase} from "./MarketBase.sol";
import {IMarketCore} from "./interfaces/IMarketCore.sol";
import {JobState, Parameters, ReplicaOutcome} from "./types/MarketTypes.sol";
import {JobCore, JobRecord, JobTerms, ProviderHot, ProviderRecord, ProviderTrust} from "./types/Storage.sol";
import {BidEntry} from "./libraries/BidEntry.sol";
import {Limits} from "./libraries/Limits.sol";

/// @notice Job records, the deadline paths (award, reveal opening, finalize, claim) and settlement.
abstract contract JobSettlement is MarketBase {
    using BidEntry for uint256;

    /// @dev What one settlement moved, summed over its replicas.
    struct Totals {
        uint256 paid;
        uint256 slashed;
    }

    /// @dev What settling each replica of one job needs to know about the job.
    struct Judgement {
        uint256 collateral;
        uint256 maxPrice;
        address requester;
        bool replicated; // quorum >= 2: a consensus is two or more providers agreeing
        uint256 prior; // minStake, read once per settlement and only if someone's value is judged
    }

    constructor(IERC20 token_, address owner_, Parameters memory parameters_)
        MarketBase(token_, owner_, parameters_)
    {}

    /// @inheritdoc IMarketCore
    function finalize(uint256 jobId) external nonReentrant {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state == JobState.Committing && block.timestamp >= c.deadline) _openReveal(jobId, c);
        if (c.state != JobState.Revealing) revert WrongJobState(jobId, c.state, JobState.Revealing);
        if (block.timestamp < c.deadline) revert DeadlineNotReached(jobId, c.deadline, block.timestamp);
        _close(jobId, rec, c, JobState.Succeeded);
    }

    /// @inheritdoc IMarketCore
    function claim(uint256 jobId) external nonReentrant {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state >= JobState.Succeeded) revert JobTerminal(jobId, c.state);
        uint256 due = c.state == JobState.Open ? _awardTime(c) : c.deadline;
        if (block.timestamp < due) revert DeadlineNotReached(jobId, due, block.timestamp);
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

    /// @dev One place that writes a job's core slot (the legacy code generator expands every struct
    /// assignment inline, so sharing it keeps the contract under the size limit).
    function _store(JobRecord storage rec, JobCore memory c) internal {
        rec.core = c;
    }

    /// @dev Awards the pool (>= quorum bids; drawn down to k when larger) or expires the job. Writes the core. Winners that bid with
    /// `bidAndCommit` are committed from this moment: `Committed` is emitted for them here, after
    /// `JobAwarded`, so every reader can keep reading it as "an awarded replica committed" whichever
    /// path it came by; if every winner had committed, the reveal phase opens in the same transaction.
    function _award(uint256 jobId, JobRecord storage rec, JobCore memory c) internal {
        if (c.bids < c.quorum) return _close(jobId, rec, c, JobState.Expired);
        if (c.bids > c.replicas) _draw(jobId, rec, c);
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

    /// @dev Draws k of the pool's n entries without replacement, each pick weighted by the entries'
    /// weights (Limits.WEIGHT_CAP), from `seed = keccak256(prevrandao, parent hash, jobId, pool)`: pick j is the entry
    /// at `keccak256(seed, j) mod remaining weight` on the cumulative weights of those not yet drawn.
    /// The drawn move to book slots 0..k-1 with their commitments; the others are unlocked and
    /// displaced. Bounded: n <= 16 entries, k <= 16 picks. See docs/PROTOCOL.md, "Selection".
    function _draw(uint256 jobId, JobRecord storage rec, JobCore memory c) private {
        uint256 n = c.bids;
        uint256 k = c.replicas;
        uint256[] memory pool = new uint256[](n);
        uint256[] memory from = new uint256[](n);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            pool[i] = rec.entries[i];
            from[i] = i;
            total += pool[i].weight();
        }
        // The parent's hash joins prevrandao for chains where prevrandao is a constant (several L2s): a
        // bidder cannot know it when it bids, as long as the seed delay puts the draw a block later.
        bytes32 seed = keccak256(abi.encode(block.prevrandao, blockhash(block.number - 1), jobId, pool));
        for (uint256 j; j < k; ++j) {
            uint256 r = uint256(keccak256(abi.encode(seed, j))) % total;
            uint256 i = j;
            for (; r >= pool[i].weight(); ++i) {
                r -= pool[i].weight();
            }
            total -= pool[i].weight();
            (pool[i], pool[j]) = (pool[j], pool[i]);
            (from[i], from[j]) = (from[j], from[i]);
        }
        // Commitments are read before any slot is rewritten: a drawn entry may move into the slot of
        // another drawn one.
        uint256 mask = c.commitMask;
        uint256 drawnMask;
        bytes32[] memory commitments = new bytes32[](k);
        for (uint256 j; j < k; ++j) {
            if (mask & (1 << from[j]) != 0) {
                drawnMask |= 1 << j;
                commitments[j] = rec.commitments[from[j]];
            }
        }
        for (uint256 j; j < k; ++j) {
            if (from[j] == j) continue;
            rec.entries[j] = pool[j];
            if (drawnMask & (1 << j) != 0) rec.commitments[j] = commitments[j];
        }
        emit ReplicasDrawn(jobId, seed, uint8(n));
        uint256 collateral = _collateral(rec.terms.maxPrice, c.collateralBps);
        for (uint256 j = k; j < n; ++j) {
            address provider = pool[j].provider();
            _unlock(provider, collateral);
            emit BidDisplaced(jobId, provider, pool[j].price(), collateral);
        }
        c.bids = uint8(k);
        c.commitMask = uint16(drawnMask);
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
            _settleReplicas(jobId, rec, c, t, found, consensus, sum);
        } else if (target == JobState.Failed) {
            _settleReplicas(jobId, rec, c, t, false, 0, sum);
        } else {
            // Cancelled or Expired: nobody was awarded, bids just get their collateral back.
            uint256 collateral = _collateral(t.maxPrice, c.collateralBps);
            for (uint256 i; i < c.bids; ++i) {
                _unlock(rec.entries[i].provider(), collateral);
            }
        }
        uint256 fee = sum.paid * t.feeBps / Limits.BPS;
        // Checked arithmetic: paid + fee can never exceed the escrow (each price <= maxPrice).
        uint256 refunded = escrow - sum.paid - fee;
        if (refunded != 0) _credits[t.requester] += refunded;
        // Slashed collateral goes with the fee to the treasury, never to the requester: a requester
        // that could slash providers (with identities of its own in the quorum) would be paid for it.
        uint256 toTreasury = fee + sum.slashed;
        if (toTreasury != 0) {
            // Beyond 96 bits of accrued fees, the treasury is credited like anyone else.
            uint256 fees = _treasury.fees + toTreasury;
            if (fees <= type(uint96).max) _treasury.fees = uint96(fees);
            else _credits[_treasury.account] += toTreasury;
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
        JobTerms memory t,
        bool found,
        bytes32 consensus,
        Totals memory sum
    ) private {
        Judgement memory j = Judgement({
            collateral: _collateral(t.maxPrice, c.collateralBps),
            maxPrice: t.maxPrice,
            requester: t.requester,
            replicated: c.quorum >= 2,
            prior: 0
        });
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
            _settleReplica(jobId, e, j, outcome, sum);
        }
    }

    function _settleReplica(uint256 jobId, uint256 e, Judgement memory j, ReplicaOutcome outcome, Totals memory sum)
        private
    {
        address provider = e.provider();
        uint256 price = e.price();
        ProviderRecord storage p = _providers[provider];
        ProviderHot memory h = p.hot;
        h.locked -= uint96(j.collateral);
        uint256 paid;
        uint256 slashed;
        if (outcome == ReplicaOutcome.Agreed) {
            paid = price;
            // Earnings share a 96-bit field; beyond it they are credited instead, never lost.
            if (uint256(h.earnings) + price <= Limits.MAX_STAKE_UNITS) h.earnings += uint96(price);
            else _credits[provider] += price;
        } else if (outcome != ReplicaOutcome.Unresolved) {
            slashed = j.collateral;
            p.bond.stake -= uint96(slashed);
        }
        // A job the provider posted itself earns it nothing, and costs it nothing, in reputation.
        if (provider != j.requester) _judge(p, h, j, outcome, price);
        p.hot = h;
        sum.paid += paid;
        sum.slashed += slashed;
        emit ReplicaSettled(jobId, provider, outcome, paid, slashed);
    }

    /// @dev Reputation (docs/PROTOCOL.md, "Reputation"): counts for every replica; value only for an
    /// agreement that other replicas confirmed (paid `price` by someone else) or for a failure (the job's
    /// max price, whatever was bid, so a 1-wei bid does not make failing cheap).
    function _judge(ProviderRecord storage p, ProviderHot memory h, Judgement memory j, ReplicaOutcome outcome, uint256 price)
        private
    {
        if (h.awarded != type(uint24).max) ++h.awarded;
        if (outcome == ReplicaOutcome.Unresolved) return;
        if (outcome == ReplicaOutcome.Agreed) {
            if (h.agreed != type(uint24).max) ++h.agreed;
            // An unreplicated result was checked by nobody: it shows as activity, not as trust.
            if (!j.replicated) return;
        }
        ProviderTrust memory tr = p.trust;
        uint256 weight = outcome == ReplicaOutcome.Agreed ? price : j.maxPrice;
        if (outcome == ReplicaOutcome.Agreed) tr.agreedValue = _addCapped(tr.agreedValue, weight);
        else if (outcome == ReplicaOutcome.Dissented) ++tr.dissented;
        else ++tr.missed;
        tr.judgedValue = _addCapped(tr.judgedValue, weight);
        p.trust = tr;
        if (j.prior == 0) j.prior = _prior();
        h.score = uint16((uint256(tr.agreedValue) + j.prior) * Limits.BPS / (uint256(tr.judgedValue) + 2 * j.prior));
    }

    /// @dev The value a newcomer's 5_000 bps stands for: the stake a provider must put up to bid at all.
    function _prior() private view returns (uint256) {
        uint256 minStake = _config.minStake;
        return minStake == 0 ? 1 : minStake;
    }

    /// @dev Reputation sums stop at 2^96 - 1 (with agreedValue <= judgedValue kept, the score stays in
    /// range) rather than revert a settlement.
    function _addCapped(uint96 a, uint256 b) private pure returns (uint96) {
        uint256 r = uint256(a) + b;
        return r > type(uint96).max ? type(uint96).max : uint96(r);
    }

    function _allBits(uint256 n) internal pure returns (uint16) {
        return uint16((1 << n) - 1);
    }
}
