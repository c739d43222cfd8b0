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
import {Rounds} from "./libraries/Rounds.sol";

/// @title Accord JobMarket
/// @notice Post, bid, award, commit, reveal; settlement and deadline paths live in JobSettlement.
/// See IJobMarket for the API and docs/PROTOCOL.md for the rules.
contract JobMarket is JobSettlement {
    using SafeERC20 for IERC20;
    using BidEntry for uint256;
    using Rounds for uint16;

    /// `_replicaSlot` of a caller holding no replica of the open round.
    uint256 private constant NOT_A_REPLICA = type(uint256).max;

    constructor(IERC20 token_, address owner_, Parameters memory parameters_)
        JobSettlement(token_, owner_, parameters_)
    {}

    // ------------------------------------------------------------------ cancel

    /// @inheritdoc IMarketCore
    function cancel(uint256 jobId) external notEntered {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state != JobState.Open) revert WrongJobState(jobId, c.state, JobState.Open);
        address requester = rec.terms.requester;
        if (msg.sender != requester) revert NotRequester(jobId, msg.sender, requester);
        if (c.rounds.start() != 0) revert JobEscalatedAlready(jobId, c.rounds.round());
        _close(jobId, rec, c, JobState.Cancelled);
    }

    // ------------------------------------------------------------------ auction

    /// @inheritdoc IMarketCore
    function bid(uint256 jobId, uint256 price) external notEntered {
        _bid(jobId, price, 0);
    }

    /// @inheritdoc IMarketCore
    function bidAndCommit(uint256 jobId, uint256 price, bytes32 commitment) external notEntered {
        _bid(jobId, price, commitment);
    }

    /// @inheritdoc IMarketCore
    function award(uint256 jobId) external notEntered {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state != JobState.Open) revert WrongJobState(jobId, c.state, JobState.Open);
        uint256 at = _awardTime(c);
        if (block.timestamp < at) revert DeadlineNotReached(jobId, at, block.timestamp);
        _award(jobId, rec, c);
    }

    // ------------------------------------------------------------------ commit and reveal

    /// @inheritdoc IMarketCore
    function commit(uint256 jobId, bytes32 commitment) external notEntered {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state != JobState.Committing) revert WrongJobState(jobId, c.state, JobState.Committing);
        if (block.timestamp >= c.deadline) revert DeadlinePassed(jobId, c.deadline, block.timestamp);
        uint256 start = c.rounds.start();
        uint256 i = _replicaIndex(jobId, rec, start, c.bids);
        uint256 bit = 1 << i;
        if (c.commitMask & bit != 0) revert AlreadyCommitted(jobId, msg.sender);
        rec.commitments[i] = commitment;
        c.commitMask |= uint16(bit);
        emit Committed(jobId, msg.sender);
        if (c.commitMask >> start == _allBits(c.bids - start)) _openRevealNow(jobId, c);
        _store(rec, c);
    }

    /// @inheritdoc IMarketCore
    function reveal(uint256 jobId, bytes calldata resultCid, bytes32 salt, bytes calldata sealedResultCid)
        external
        notEntered
    {
        (bytes32 digest, uint256 codec) = CidLib.digestAndCodec(resultCid);
        (bytes32 sealedDigest, uint256 sealedCodec) = CidLib.digestAndCodec(sealedResultCid);
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        bool awarded = c.state == JobState.Open && _awardByReveal(jobId, rec, c);
        if (c.state == JobState.Committing && block.timestamp >= c.deadline) _openReveal(jobId, c);
        if (c.state != JobState.Revealing) revert WrongJobState(jobId, c.state, JobState.Revealing);
        if (block.timestamp >= c.deadline) revert DeadlinePassed(jobId, c.deadline, block.timestamp);
        uint256 start = c.rounds.start();
        uint256 i = _replicaSlot(rec, start, c.bids);
        // An entry the draw it sent left out has done the award, which stays; its result is not a reveal.
        if (i == NOT_A_REPLICA) {
            if (awarded) return _store(rec, c);
            revert NotAReplica(jobId, msg.sender);
        }
        uint256 bit = 1 << i;
        if (c.commitMask & bit == 0) revert NotCommitted(jobId, msg.sender);
        if (c.revealMask & bit != 0) revert AlreadyRevealed(jobId, msg.sender);
        bytes32 committed = rec.commitments[i];
        // keccak256(abi.encode(jobId, msg.sender, digest, salt)), hashed past the free memory pointer
        // without allocating (abi.encode copies into new memory, ~150 gas more).
        bytes32 revealed;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, jobId)
            mstore(add(m, 0x20), caller())
            mstore(add(m, 0x40), digest)
            mstore(add(m, 0x60), salt)
            revealed := keccak256(m, 0x80)
        }
        if (revealed != committed) revert CommitmentMismatch(jobId, msg.sender, committed, revealed);
        // The commitment has served its purpose; the digest takes its (already nonzero) slot, unless a
        // first round's earlier reveal holds the same digest: then one agreement bit records it, and the
        // settlement that counts the votes reads one slot instead of one per replica (~2,900 gas per
        // agreeing reveal, ~2,100 per vote counted). Escalated rounds keep every digest in its slot.
        if (start != 0) {
            rec.commitments[i] = digest;
        } else {
            uint256 lead = c.fillExtension >> 16;
            if (lead == 0) {
                rec.commitments[i] = digest;
                c.fillExtension = uint24(((i + 1) << 16) | bit);
            } else if (rec.commitments[lead - 1] == digest) {
                c.fillExtension |= uint24(bit);
            } else {
                rec.commitments[i] = digest;
            }
        }
        c.revealMask |= uint16(bit);
        emit Revealed(jobId, msg.sender, digest, sealedDigest, uint16(codec << 8 | sealedCodec));
        // The open round is done when each of its committers revealed; earlier rounds' bits are final.
        if ((c.commitMask & ~c.revealMask) >> start == 0) _close(jobId, rec, c, JobState.Succeeded);
        else _store(rec, c);
    }

    // ------------------------------------------------------------------ internal

    /// @dev A bid, carrying a commitment unless `commitment` is 0. Until the award, bit i of
    /// `commitMask` marks pool entry i as committed; the mask and the commitments move with the pool,
    /// so a displaced bid takes its commitment with it and the draw finds the winners' ones.
    function _bid(uint256 jobId, uint256 price, bytes32 commitment) private {
        (JobRecord storage rec, JobCore memory c) = _load(jobId);
        if (c.state != JobState.Open) revert WrongJobState(jobId, c.state, JobState.Open);
        uint256 n = c.bids;
        uint256 end = _roundEnd(c);
        // After the pool window only an award-on-fill pool (or an escalation round's) still short of
        // its replicas takes bids, until its fill deadline; the bid that fills it awards it whole.
        bool late = block.timestamp >= c.deadline;
        if (late && (n >= end || block.timestamp >= uint256(c.deadline) + c.fillExtension)) {
            revert BiddingClosed(jobId, c.deadline, block.timestamp);
        }
        uint256 maxPrice = rec.terms.maxPrice;
        if (price == 0 || price > maxPrice) revert BidPriceOutOfRange(jobId, price, maxPrice);

        uint256 collateral = _collateral(maxPrice, c.collateralBps);
        uint256 entry = _checkBidder(c, price, collateral);

        // An escalation round is for providers not yet in the job: earlier rounds' replicas are
        // checked like bids, but only the open round's pool can be displaced.
        uint256 start = c.rounds.start();
        // Every slot in use, earlier rounds' and this pool's, walked once in assembly: n <= 16, so the
        // array's bounds checks (~60 gas an entry, on every bid) guarded nothing. Only a full pool
        // displaces, so only then is the pool's lightest entry looked for; the latest of equally light
        // entries counts as the lightest, so among equals the earlier stay.
        uint256[16] storage entries = rec.entries;
        bool full = n >= Limits.MAX_POOL;
        bool again;
        uint256 lightest;
        uint256 lightestAt;
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let e := sload(add(entries.slot, i))
                // BidEntry.provider: the entry's top 160 bits.
                if eq(shr(96, e), caller()) {
                    again := 1
                    break
                }
                // BidEntry.weight: bits 80-95.
                if and(full, iszero(lt(i, start))) {
                    if or(eq(i, start), iszero(gt(and(shr(80, e), 0xffff), and(shr(80, lightest), 0xffff)))) {
                        lightest := e
                        lightestAt := i
                    }
                }
            }
        }
        if (again) revert AlreadyBid(jobId, msg.sender);
        uint256 at = n;
        if (n < Limits.MAX_POOL) {
            c.bids = uint8(n + 1);
        } else {
            // A full pool admits only more stake, so filling it with cheap identities holds no place
            // against a provider backed by more than each of them.
            if (entry.weight() <= lightest.weight()) revert PoolFull(jobId, entry.weight(), lightest.weight());
            uint256 mask = c.commitMask;
            for (uint256 i = lightestAt; i + 1 < n; ++i) {
                rec.entries[i] = rec.entries[i + 1];
                if (mask & (1 << (i + 1)) != 0) rec.commitments[i] = rec.commitments[i + 1];
            }
            uint256 below = (1 << lightestAt) - 1;
            c.commitMask = uint16((mask & below) | ((mask >> 1) & ~below));
            at = n - 1;
            _unlock(lightest.provider(), collateral);
            emit BidDisplaced(jobId, lightest.provider(), lightest.price(), collateral);
        }
        rec.entries[at] = entry;
        if (commitment != 0) {
            rec.commitments[at] = commitment;
            c.commitMask |= uint16(1 << at);
        }
        emit BidPlaced(jobId, msg.sender, price, collateral);

        if (late && c.bids == end) _award(jobId, rec, c);
        else _store(rec, c);
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
        // The hot slot as one word (locked is its low 96 bits, the score its top 16): read and written
        // once, no memory copy of its fields (~300 gas a bid).
        ProviderHot storage hs = p.hot;
        uint256 h;
        assembly ("memory-safe") {
            h := sload(hs.slot)
        }
        uint256 score = h >> 240;
        if (score < c.minReputation) revert ReputationTooLow(msg.sender, score, c.minReputation);
        uint256 free = b.stake - uint96(h);
        if (free < collateral) revert InsufficientFreeStake(msg.sender, free, collateral);
        // locked + collateral <= stake < 2^96: no carry into the next field.
        h += collateral;
        assembly ("memory-safe") {
            sstore(hs.slot, h)
        }
        // The draw weighs the whole stake (capped), not just the free part: stake backs the provider's
        // honesty on every job at once, while collateral locks are per replica.
        uint256 cap = Limits.WEIGHT_CAP * collateral;
        entry = BidEntry.pack(msg.sender, (b.stake < cap ? b.stake : cap) * Limits.WEIGHT_UNIT / collateral, price);
    }

    /// @dev Index of the caller among the open round's replicas (book slots start..n-1); reverts
    /// `NotAReplica`. Bounded by 16 slots.
    function _replicaIndex(uint256 jobId, JobRecord storage rec, uint256 start, uint256 n) private view returns (uint256 i) {
        i = _replicaSlot(rec, start, n);
        if (i == NOT_A_REPLICA) revert NotAReplica(jobId, msg.sender);
    }

    /// @dev Index of the caller among the open round's replicas, or NOT_A_REPLICA. Bounded by 16 slots.
    /// Walks the slots in assembly: n <= 16 (a book has 16 slots), so the array's bounds checks, ~60 gas
    /// an entry on every commit and reveal, guard nothing.
    function _replicaSlot(JobRecord storage rec, uint256 start, uint256 n) private view returns (uint256 slot) {
        uint256[16] storage entries = rec.entries;
        slot = NOT_A_REPLICA;
        assembly ("memory-safe") {
            for { let i := start } lt(i, n) { i := add(i, 1) } {
                // BidEntry.provider: the entry's top 160 bits.
                if eq(shr(96, sload(add(entries.slot, i))), caller()) {
                    slot := i
                    break
                }
            }
        }
    }

    /// @dev The award riding in a reveal (docs/PROTOCOL.md, "Selection"): a pool entry that ran the job
    /// before bidding sends its reveal when the pool can be awarded, and the reveal draws first, saving
    /// the separate award transaction (~30,000 gas of a k = 3 job). Only when every entry of the open
    /// round's pool committed with its bid: then every drawn replica is already bound to its result, so
    /// the results this and the undrawn entries' reveals publish can be copied by nobody, and the
    /// reveal phase opens with the award. The draw is the award's own, from this block's randomness,
    /// which exists only after the pool froze (`_awardTime`, as for `award`). Returns true when it
    /// awarded; reverts if the award would not open the reveal phase (an expiry stays for `claim`).
    function _awardByReveal(uint256 jobId, JobRecord storage rec, JobCore memory c) private returns (bool) {
        uint256 at = _awardTime(c);
        if (block.timestamp < at) revert DeadlineNotReached(jobId, at, block.timestamp);
        uint256 start = c.rounds.start();
        if (c.bids == start || c.commitMask >> start != _allBits(c.bids - start)) {
            revert WrongJobState(jobId, c.state, JobState.Revealing);
        }
        // Only a pool entry: anyone else (an earlier round's replica, an outsider) sends `award`, and a
        // reveal that cannot count for its sender is refused rather than taken as a bare award. The
        // draw reads these entries next, so the scan costs ~100 gas per entry.
        if (_replicaSlot(rec, start, c.bids) == NOT_A_REPLICA) revert NotAReplica(jobId, msg.sender);
        // The reveal writes the core when it is done with it.
        return _open(jobId, rec, c);
    }
}
