// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MarketBase} from "./MarketBase.sol";
import {IMarketCore} from "./interfaces/IMarketCore.sol";
import {JobState, Parameters, ReplicaOutcome} from "./types/MarketTypes.sol";
import {JobCore, JobRecord, JobTerms, ProviderHot, ProviderRecord, ProviderTrust} from "./types/Storage.sol";
import {BidEntry} from "./libraries/BidEntry.sol";
import {Limits} from "./libraries/Limits.sol";
import {Rounds} from "./libraries/Rounds.sol";

/// @notice Job records, the deadline paths (award, reveal opening, finalize, claim) and settlement.
abstract contract JobSettlement is MarketBase {
    using BidEntry for uint256;
    using Rounds for uint16;

    /// @dev What one settlement moved, summed over its replicas.
    struct Totals {
        uint256 paid;
        uint256 slashed;
        uint256 paidBeyondK; // to replicas at book slots k and up: what escalation cost the requester
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
    function finalize(uint256 jobId) external notEntered {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state == JobState.Committing && block.timestamp >= c.deadline) _openReveal(jobId, c);
        if (c.state != JobState.Revealing) revert WrongJobState(jobId, c.state, JobState.Revealing);
        if (block.timestamp < c.deadline) revert DeadlineNotReached(jobId, c.deadline, block.timestamp);
        _close(jobId, rec, c, JobState.Succeeded);
    }

    /// @inheritdoc IMarketCore
    function claim(uint256 jobId) external notEntered {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state >= JobState.Succeeded) revert JobTerminal(jobId, c.state);
        uint256 due = c.state == JobState.Open ? _awardTime(c) : c.deadline;
        if (block.timestamp < due) revert DeadlineNotReached(jobId, due, block.timestamp);
        if (c.state == JobState.Open) return _award(jobId, rec, c);
        if (c.state == JobState.Committing) {
            // Only a first round fails for want of commits: an escalated job has earlier reveals to judge.
            if (c.rounds.start() == 0 && _popcount(c.commitMask) < c.quorum) return _close(jobId, rec, c, JobState.Failed);
            _openReveal(jobId, c);
            if (block.timestamp < c.deadline) {
                _store(rec, c);
                return;
            }
        }
        _close(jobId, rec, c, JobState.Succeeded);
    }

    // ------------------------------------------------------------------ internal

    /// @dev One place that writes a job's core slot, packed by hand in JobCore's declaration order (the
    /// low-order bits first, as Solidity packs a struct). `rec.core = c` compiles, at 16 fields, to one
    /// read-modify-write per field: 16 SSTOREs, 1,600 gas on every bid, commit and reveal; packing the
    /// fields in Solidity cost ~300 gas more than this.
    function _store(JobRecord storage rec, JobCore memory c) internal {
        // Each field masked to its width, so no value can spill into its neighbour's bits.
        uint256 word;
        assembly ("memory-safe") {
            word := and(mload(c), 0xff) // state
            word := or(word, shl(8, and(mload(add(c, 0x20)), 0xff))) // bids
            word := or(word, shl(16, and(mload(add(c, 0x40)), 0xffff))) // commitMask
            word := or(word, shl(32, and(mload(add(c, 0x60)), 0xffff))) // revealMask
            word := or(word, shl(48, and(mload(add(c, 0x80)), 0xffffffffff))) // deadline
            word := or(word, shl(88, and(mload(add(c, 0xa0)), 0xff))) // replicas
            word := or(word, shl(96, and(mload(add(c, 0xc0)), 0xff))) // quorum
            word := or(word, shl(104, and(mload(add(c, 0xe0)), 0xff))) // awardOnFill
            word := or(word, shl(112, and(mload(add(c, 0x100)), 0xffff))) // collateralBps
            word := or(word, shl(128, and(mload(add(c, 0x120)), 0xffff))) // minReputation
            word := or(word, shl(144, and(mload(add(c, 0x140)), 0xffffff))) // commitWindow
            word := or(word, shl(168, and(mload(add(c, 0x160)), 0xffffff))) // revealWindow
            word := or(word, shl(192, and(mload(add(c, 0x180)), 0xffff))) // generation
            word := or(word, shl(208, and(mload(add(c, 0x1a0)), 0xffff))) // rounds
            word := or(word, shl(224, and(mload(add(c, 0x1c0)), 0xffffff))) // fillExtension
            word := or(word, shl(248, mload(add(c, 0x1e0)))) // seedDelay
            sstore(rec.slot, word)
        }
    }

    /// @dev Awards the pool (>= quorum bids; drawn down to k when larger) or expires the job. Writes the core. Winners that bid with
    /// `bidAndCommit` are committed from this moment: `Committed` is emitted for them here, after
    /// `JobAwarded`, so every reader can keep reading it as "an awarded replica committed" whichever
    /// path it came by; if every winner had committed, the reveal phase opens in the same transaction.
    /// An escalation round awards the same way from the entries after the earlier rounds' replicas; a
    /// round no fresh provider bid on ends the job NoConsensus, as the cap would.
    function _award(uint256 jobId, JobRecord storage rec, JobCore memory c) internal {
        if (_open(jobId, rec, c)) _store(rec, c);
    }

    /// @dev `_award` without writing the core when it awards (returns true then): a reveal that draws
    /// goes on to change the core and writes it once (~700 gas of packing and a second SSTORE).
    function _open(uint256 jobId, JobRecord storage rec, JobCore memory c) internal returns (bool) {
        uint256 start = c.rounds.start();
        if (start == 0) {
            if (c.bids < c.quorum) {
                _close(jobId, rec, c, JobState.Expired);
                return false;
            }
        } else if (c.bids == start) {
            _close(jobId, rec, c, JobState.NoConsensus);
            return false;
        }
        uint256 end = _roundEnd(c);
        if (c.bids > end) _draw(jobId, rec, c, start, end);
        c.state = JobState.Committing;
        // The fill extension is spent: from here the field holds the round's agreement (none yet).
        c.fillExtension = 0;
        c.deadline = uint40(block.timestamp + c.commitWindow);
        emit JobAwarded(jobId, uint8(c.bids - start), c.deadline);
        uint256 mask = c.commitMask;
        for (uint256 i = start; mask >> i != 0; ++i) {
            if (mask & (1 << i) != 0) emit Committed(jobId, rec.entries[i].provider());
        }
        if (mask >> start == _allBits(c.bids - start)) _openRevealNow(jobId, c);
        return true;
    }

    /// @dev Draws k of the pool's n entries without replacement, each pick weighted by the entries'
    /// weights (Limits.WEIGHT_CAP), from `seed = keccak256(prevrandao, parent hash, jobId, pool)`: pick j is the entry
    /// at `keccak256(seed, j) mod remaining weight` on the cumulative weights of those not yet drawn, kept
    /// in the order the picks' swaps leave them (pick j swaps into place j).
    /// The pool is the book from slot `start` (0, or an escalation round's first slot), k = end - start.
    /// The drawn become book slots start..end-1 with their commitments: a drawn entry already in one of
    /// those slots stays, each other one moves into a slot an undrawn entry leaves (the fewest writes: a
    /// move rewrites an entry and a commitment, ~5,800 gas, and placing them in pick order moved ~2.3
    /// of 3 drawn from 6 where this moves 1.5 on average). The others are unlocked and displaced, in pool
    /// order. Bounded: n <= 16 entries, k <= 16 picks. See docs/PROTOCOL.md, "Selection".
    function _draw(uint256 jobId, JobRecord storage rec, JobCore memory c, uint256 start, uint256 end) private {
        uint256 n = c.bids - start;
        uint256 k = end - start;
        uint256[16] storage entries = rec.entries;
        // One memory region holds abi.encode(prevrandao, parent hash, jobId, pool) for the seed, then
        // the picks' working array (weight << 8 | pool index, in the order the swaps leave them): the
        // seed is hashed where the entries were loaded, and the walk reads one word per step. Three
        // arrays and an abi.encode copy of the pool cost ~6,000 gas more of a 3-of-6 draw.
        uint256 buf;
        uint256 picks;
        uint256 total;
        assembly ("memory-safe") {
            buf := mload(0x40)
            // The parent's hash joins prevrandao for chains where prevrandao is a constant (several
            // L2s): a bidder cannot know it when it bids, as long as the seed delay puts the draw a
            // block later.
            mstore(buf, prevrandao())
            mstore(add(buf, 0x20), blockhash(sub(number(), 1)))
            mstore(add(buf, 0x40), jobId)
            mstore(add(buf, 0x60), 0x80)
            mstore(add(buf, 0x80), n)
            picks := add(buf, add(0xa0, shl(5, n)))
            mstore(0x40, add(picks, shl(5, n)))
            let from := add(entries.slot, start)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let e := sload(add(from, i))
                mstore(add(buf, add(0xa0, shl(5, i))), e)
                let w := and(shr(80, e), 0xffff) // BidEntry.weight
                mstore(add(picks, shl(5, i)), or(shl(8, w), i))
                total := add(total, w)
            }
        }
        bytes32 seed;
        uint256 drawn; // bit i: pool entry i was drawn
        // Pick j is the entry at keccak256(seed, j) mod the remaining weight, walking from place j; it
        // swaps into place j. Cannot run past the array: the weights from place j on sum to `total`, and
        // r < total. The pick's hash is taken in scratch space.
        assembly ("memory-safe") {
            seed := keccak256(buf, add(0xa0, shl(5, n)))
            for { let j := 0 } lt(j, k) { j := add(j, 1) } {
                mstore(0, seed)
                mstore(0x20, j)
                let r := mod(keccak256(0, 0x40), total)
                let at := add(picks, shl(5, j))
                let v := mload(at)
                let w := shr(8, v)
                let p := at
                for {} iszero(lt(r, w)) {} {
                    r := sub(r, w)
                    p := add(p, 0x20)
                    v := mload(p)
                    w := shr(8, v)
                }
                total := sub(total, w)
                mstore(p, mload(at))
                mstore(at, v)
                drawn := or(drawn, shl(and(v, 0xff), 1))
            }
        }
        // The pool's entries are the words after the seed's three and the array's length: entry i at
        // buf + 0xa0 + 32 i. Read there without the bounds checks of an array (i < n throughout).
        uint256 entriesAt = buf + 0xa0;
        // A slot below k is rewritten only when its entry was not drawn, from a drawn entry at k or
        // beyond; those slots are never rewritten, so each commitment is read where it was bid.
        uint256 mask = c.commitMask >> start;
        uint256 placed = mask & drawn & _allBits(k);
        uint256 from = k;
        for (uint256 slot; slot < k; ++slot) {
            if (drawn & (1 << slot) != 0) continue;
            while (drawn & (1 << from) == 0) ++from;
            uint256 moved;
            assembly ("memory-safe") {
                moved := mload(add(entriesAt, shl(5, from)))
            }
            rec.entries[start + slot] = moved;
            if (mask & (1 << from) != 0) {
                rec.commitments[start + slot] = rec.commitments[start + from];
                placed |= 1 << slot;
            }
            ++from;
        }
        emit ReplicasDrawn(jobId, seed, uint8(n));
        uint256 collateral = _collateral(rec.terms.maxPrice, c.collateralBps);
        for (uint256 i; i < n; ++i) {
            if (drawn & (1 << i) != 0) continue;
            uint256 e;
            assembly ("memory-safe") {
                e := mload(add(entriesAt, shl(5, i)))
            }
            address provider = e.provider();
            _unlock(provider, collateral);
            emit BidDisplaced(jobId, provider, e.price(), collateral);
        }
        c.bids = uint8(end);
        // Earlier rounds' commit bits stay as they were.
        c.commitMask = uint16((c.commitMask & ((1 << start) - 1)) | (placed << start));
    }

    /// @dev The reveal phase opening because every winner committed: it runs from now.
    function _openRevealNow(uint256 jobId, JobCore memory c) internal {
        c.state = JobState.Revealing;
        c.deadline = uint40(block.timestamp + c.revealWindow);
        emit RevealOpened(jobId, c.deadline);
    }

    /// @dev The reveal phase opening at the commit deadline, applied lazily by whoever comes first.
    /// Measured from the deadline, not from the caller's clock, so a late caller cannot extend it.
    /// An escalation round reveals whatever it got: the earlier rounds' reveals are what it adds to.
    function _openReveal(uint256 jobId, JobCore memory c) internal {
        uint256 commits = _popcount(c.commitMask);
        if (commits < c.quorum && c.rounds.start() == 0) revert TooFewCommits(jobId, commits, c.quorum);
        c.state = JobState.Revealing;
        c.deadline += c.revealWindow;
        emit RevealOpened(jobId, c.deadline);
    }

    /// @dev Ends a job. `target` is Succeeded for a settlement (which escalates instead when no digest
    /// has the quorum and the cap allows more replicas, else becomes NoConsensus), NoConsensus for an
    /// escalation round nobody bid on, or Failed, Cancelled, Expired. Credits everyone and writes the
    /// core; a terminal record is reusable.
    function _close(uint256 jobId, JobRecord storage rec, JobCore memory c, JobState target) internal {
        uint256 cap = c.rounds.cap();
        bytes32 consensus;
        Totals memory sum;
        JobTerms memory t;
        if (target == JobState.Succeeded || target == JobState.NoConsensus) {
            bool found;
            (found, consensus) = _consensus(rec, c);
            if (!found) {
                // A cap of k is a requester that asked for no escalation: the job ends as it always did.
                if (target == JobState.Succeeded && cap > c.replicas && c.bids < cap) return _escalate(jobId, rec, c, cap);
                target = JobState.NoConsensus;
            }
            t = rec.terms;
            _settleReplicas(jobId, rec, c, t, found, consensus, sum);
        } else if (target == JobState.Failed) {
            t = rec.terms;
            _settleReplicas(jobId, rec, c, t, false, 0, sum);
        } else {
            t = rec.terms;
            // Cancelled or Expired: nobody was awarded, bids just get their collateral back.
            uint256 collateral = _collateral(t.maxPrice, c.collateralBps);
            for (uint256 i; i < c.bids; ++i) {
                _unlock(rec.entries[i].provider(), collateral);
            }
        }
        uint256 escrow = _escrow(cap, t.maxPrice, t.feeBps);
        uint256 fee = sum.paid * t.feeBps / Limits.BPS;
        // Checked arithmetic: paid + fee can never exceed the escrow (each price <= maxPrice).
        uint256 refunded = escrow - sum.paid - fee;
        // Slashed collateral goes with the fee to the treasury, never to the requester as profit: a
        // requester that could slash providers (with identities of its own in the quorum) would be paid
        // for it. It only makes the requester whole for the escalation rounds the slashed forced on it.
        uint256 restitution;
        if (sum.paidBeyondK != 0 && sum.slashed != 0) {
            restitution = sum.paidBeyondK + sum.paidBeyondK * t.feeBps / Limits.BPS;
            if (restitution > sum.slashed) restitution = sum.slashed;
        }
        if (refunded + restitution != 0) _credits[t.requester] += refunded + restitution;
        uint256 toTreasury = fee + sum.slashed - restitution;
        if (toTreasury != 0) {
            // Beyond 96 bits of accrued fees, the treasury is credited like anyone else.
            uint256 fees = _treasury.fees + toTreasury;
            if (fees <= type(uint96).max) _treasury.fees = uint96(fees);
            else _credits[_treasury.account] += toTreasury;
        }

        c.state = target; // the record is free for reuse from here (see _post)
        _store(rec, c);
        emit JobSettled(jobId, target, consensus, sum.paid, fee, refunded, sum.slashed);
        if (restitution != 0) emit Restituted(jobId, t.requester, restitution);
    }

    /// @dev Opens the next round instead of settling: the pool reopens in the book slots after the
    /// replicas so far, for `extra = min(k, cap - replicas)` more, with the owner's pool window and fill
    /// timeout of now (as an award-on-fill job's first round) and the job's seed delay before the draw.
    /// Nobody is judged yet: every replica keeps its revealed digest (or its missing one) for the end.
    function _escalate(uint256 jobId, JobRecord storage rec, JobCore memory c, uint256 cap) private {
        uint256 start = c.bids;
        // The first round's agreement bits give way to the next round's fill extension: each replica
        // that matched the leader gets the leader's digest in its own slot, as later rounds keep them.
        if (c.rounds.start() == 0) {
            uint256 lead = c.fillExtension >> 16;
            uint256 agreed = lead == 0 ? 0 : c.fillExtension & 0xffff & ~(1 << (lead - 1));
            for (uint256 i; agreed >> i != 0; ++i) {
                if (agreed & (1 << i) != 0) rec.commitments[i] = rec.commitments[lead - 1];
            }
        }
        uint256 extra = cap - start < c.replicas ? cap - start : c.replicas;
        c.rounds = c.rounds.next(start);
        uint256 window = _config.poolWindow;
        uint256 fillTimeout = _config.fillTimeout;
        c.state = JobState.Open;
        c.deadline = uint40(block.timestamp + window);
        c.fillExtension = uint24(fillTimeout > window ? fillTimeout - window : 0);
        _store(rec, c);
        emit JobEscalated(jobId, uint8(c.rounds.round()), uint8(extra), c.deadline);
    }

    /// @dev The digest at least `quorum` reveals agree on, with more votes than all other revealed digests
    /// together. Unique when it exists. In a first round (at most k reveals, quorum > k/2) the second
    /// condition follows from the first, so it is only counted once escalation added replicas.
    function _consensus(JobRecord storage rec, JobCore memory c) private view returns (bool, bytes32) {
        uint256 n = c.bids;
        // A first round's leader with a quorum of agreement bits is the consensus (at most k reveals and
        // m > k/2, so no other digest can have one), with no digest read but its own.
        uint256 lead = c.rounds.start() == 0 ? c.fillExtension >> 16 : 0;
        if (lead != 0 && _popcount(c.fillExtension & 0xffff) >= c.quorum) return (true, rec.commitments[lead - 1]);
        uint256 revealed = n > c.replicas ? _popcount(c.revealMask) : 0;
        bytes32[] memory digests = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            if (c.revealMask & (1 << i) != 0) digests[i] = _revealed(rec, c, i);
        }
        for (uint256 i; i < n; ++i) {
            if (c.revealMask & (1 << i) == 0) continue;
            uint256 votes;
            for (uint256 j = i; j < n; ++j) {
                if (c.revealMask & (1 << j) != 0 && digests[j] == digests[i]) ++votes;
            }
            if (votes >= c.quorum && 2 * votes > revealed) return (true, digests[i]);
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
        // When a first round's leader holds the consensus, its agreement bits are the agreeing replicas
        // and every other reveal (which did not match the leader) dissented: no digest is read per replica.
        uint256 lead = c.rounds.start() == 0 ? c.fillExtension >> 16 : 0;
        bool leadHolds = found && lead != 0 && rec.commitments[lead - 1] == consensus;
        for (uint256 i; i < c.bids; ++i) {
            uint256 e = rec.entries[i];
            uint256 bit = 1 << i;
            ReplicaOutcome outcome;
            if (c.commitMask & bit == 0) outcome = ReplicaOutcome.MissedCommit;
            else if (c.revealMask & bit == 0) outcome = c.state == JobState.Committing
                ? ReplicaOutcome.Unresolved // a Failed job: its committers never got to reveal
                : ReplicaOutcome.MissedReveal;
            else if (!found) outcome = ReplicaOutcome.Unresolved;
            else if (leadHolds) outcome = c.fillExtension & bit != 0 ? ReplicaOutcome.Agreed : ReplicaOutcome.Dissented;
            else if (_revealed(rec, c, i) == consensus) outcome = ReplicaOutcome.Agreed;
            else outcome = ReplicaOutcome.Dissented;
            uint256 paidBefore = sum.paid;
            _settleReplica(jobId, e, j, outcome, sum);
            if (i >= c.replicas) sum.paidBeyondK += sum.paid - paidBefore;
        }
    }

    /// @dev Works on the provider's packed slots as words (MarketState's layouts: ProviderHot is locked
    /// bits 0-95, earnings 96-191, awarded 192-215, agreed 216-239, score 240-255; ProviderTrust is
    /// agreedValue 0-95, judgedValue 96-191, dissented 192-223, missed 224-255): each slot is read and
    /// written once, with no memory copy of its fields (~1,500 gas less per settled replica than
    /// decoding both structs into memory and packing them back).
    function _settleReplica(uint256 jobId, uint256 e, Judgement memory j, ReplicaOutcome outcome, Totals memory sum)
        private
    {
        address provider = e.provider();
        uint256 price = e.price();
        ProviderRecord storage p = _providers[provider];
        ProviderHot storage hs = p.hot;
        uint256 h;
        assembly ("memory-safe") {
            h := sload(hs.slot)
        }
        // Checked: a replica's collateral was locked when it bid.
        h = (h & ~uint256(type(uint96).max)) | (uint256(uint96(h)) - j.collateral);
        uint256 paid;
        uint256 slashed;
        if (outcome == ReplicaOutcome.Agreed) {
            paid = price;
            // Earnings share a 96-bit field; beyond it they are credited instead, never lost.
            if (uint256(uint96(h >> 96)) + price <= Limits.MAX_STAKE_UNITS) h += price << 96;
            else _credits[provider] += price;
        } else if (outcome != ReplicaOutcome.Unresolved) {
            slashed = j.collateral;
            p.bond.stake -= uint96(slashed);
        }
        // A job the provider posted itself earns it nothing, and costs it nothing, in reputation.
        if (provider != j.requester) h = _judge(p, h, j, outcome, price);
        assembly ("memory-safe") {
            sstore(hs.slot, h)
        }
        sum.paid += paid;
        sum.slashed += slashed;
        emit ReplicaSettled(jobId, provider, outcome, paid, slashed);
    }

    /// @dev Reputation (docs/PROTOCOL.md, "Reputation"): counts for every replica; value only for an
    /// agreement that other replicas confirmed (paid `price` by someone else) or for a failure (the job's
    /// max price, whatever was bid, so a 1-wei bid does not make failing cheap). Takes and returns the
    /// hot slot's word (see `_settleReplica`); the counts saturate.
    function _judge(ProviderRecord storage p, uint256 h, Judgement memory j, ReplicaOutcome outcome, uint256 price)
        private
        returns (uint256)
    {
        if (uint24(h >> 192) != type(uint24).max) h += 1 << 192;
        if (outcome == ReplicaOutcome.Unresolved) return h;
        if (outcome == ReplicaOutcome.Agreed) {
            if (uint24(h >> 216) != type(uint24).max) h += 1 << 216;
            // An unreplicated result was checked by nobody: it shows as activity, not as trust.
            if (!j.replicated) return h;
        }
        ProviderTrust storage ts = p.trust;
        uint256 t;
        assembly ("memory-safe") {
            t := sload(ts.slot)
        }
        uint256 weight = outcome == ReplicaOutcome.Agreed ? price : j.maxPrice;
        uint256 agreedValue = uint96(t);
        if (outcome == ReplicaOutcome.Agreed) agreedValue = _addCapped(agreedValue, weight);
        uint256 judgedValue = _addCapped(uint96(t >> 96), weight);
        uint256 dissented = uint32(t >> 192);
        uint256 missed = t >> 224;
        // Checked, as the 32-bit fields were: 4 billion failures of one provider do not happen.
        if (outcome == ReplicaOutcome.Dissented) dissented = uint32(dissented + 1);
        else if (outcome != ReplicaOutcome.Agreed) missed = uint32(missed + 1);
        t = agreedValue | judgedValue << 96 | dissented << 192 | missed << 224;
        assembly ("memory-safe") {
            sstore(ts.slot, t)
        }
        if (j.prior == 0) j.prior = _prior();
        uint256 score = (agreedValue + j.prior) * Limits.BPS / (judgedValue + 2 * j.prior);
        return (h & ~(uint256(0xffff) << 240)) | score << 240;
    }

    /// @dev The value a newcomer's 5_000 bps stands for: the stake a provider must put up to bid at all.
    function _prior() private view returns (uint256) {
        uint256 minStake = _config.minStake;
        return minStake == 0 ? 1 : minStake;
    }

    /// @dev Reputation sums stop at 2^96 - 1 (with agreedValue <= judgedValue kept, the score stays in
    /// range) rather than revert a settlement.
    function _addCapped(uint256 a, uint256 b) private pure returns (uint256) {
        uint256 r = a + b;
        return r > type(uint96).max ? type(uint96).max : r;
    }

    function _allBits(uint256 n) internal pure returns (uint16) {
        return uint16((1 << n) - 1);
    }
}
