// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IMarketEvents} from "./interfaces/IMarketEvents.sol";
import {Config, JobCore, JobRecord, ProviderRecord, Treasury} from "./types/Storage.sol";
import {Limits} from "./libraries/Limits.sol";
import {Rounds} from "./libraries/Rounds.sol";

/// @notice Every storage variable of a market, in one place. JobMarket and the ProviderRegistry it
/// runs by delegatecall both inherit this first and declare no storage of their own, so both
/// read and write the same slots. Declaring state anywhere else would shift one of the two layouts.
abstract contract MarketState is IMarketEvents {
    using Rounds for uint16;

    IERC20 internal immutable _token;
    Config internal _config;
    Treasury internal _treasury;
    mapping(address provider => ProviderRecord) internal _providers;
    /// Refunds credited to requesters, and to the treasury fees and slashed collateral beyond its 96-bit slot.
    mapping(address account => uint256) internal _credits;
    mapping(uint32 record => JobRecord) internal _records;

    constructor(IERC20 token_) {
        if (address(token_) == address(0)) revert InvalidToken(address(token_));
        _token = token_;
    }

    /// @dev Collateral every replica of a job locks: sized from what the job pays (its max price), not
    /// from the bid, so a 1-wei bid risks as much as any other; rounded up, so never zero.
    function _collateral(uint256 maxPrice, uint256 collateralBps) internal pure returns (uint256) {
        return (maxPrice * collateralBps + Limits.BPS - 1) / Limits.BPS;
    }

    /// @dev The record behind a job id; reverts `JobNotFound` for ids never issued or already reused.
    function _load(uint256 jobId) internal view returns (JobRecord storage rec, JobCore memory c) {
        uint32 index = uint32(jobId);
        uint256 generation = jobId >> 32;
        rec = _records[index];
        // The core word unpacked field by field into the struct, in JobCore's declaration order (the
        // low-order bits first, as Solidity packs it; `_store` packs it back): `c = rec.core` spent ~600
        // gas more of every bid, commit and reveal on it. The masks leave every field clean.
        uint256 word;
        assembly ("memory-safe") {
            word := sload(rec.slot)
            mstore(c, and(word, 0xff)) // state
            mstore(add(c, 0x20), and(shr(8, word), 0xff)) // bids
            mstore(add(c, 0x40), and(shr(16, word), 0xffff)) // commitMask
            mstore(add(c, 0x60), and(shr(32, word), 0xffff)) // revealMask
            mstore(add(c, 0x80), and(shr(48, word), 0xffffffffff)) // deadline
            mstore(add(c, 0xa0), and(shr(88, word), 0xff)) // replicas
            mstore(add(c, 0xc0), and(shr(96, word), 0xff)) // quorum
            mstore(add(c, 0xe0), and(shr(104, word), 0xff)) // awardOnFill
            mstore(add(c, 0x100), and(shr(112, word), 0xffff)) // collateralBps
            mstore(add(c, 0x120), and(shr(128, word), 0xffff)) // minReputation
            mstore(add(c, 0x140), and(shr(144, word), 0xffffff)) // commitWindow
            mstore(add(c, 0x160), and(shr(168, word), 0xffffff)) // revealWindow
            mstore(add(c, 0x180), and(shr(192, word), 0xffff)) // generation
            mstore(add(c, 0x1a0), and(shr(208, word), 0xffff)) // rounds
            mstore(add(c, 0x1c0), and(shr(224, word), 0xffffff)) // fillExtension
            mstore(add(c, 0x1e0), shr(248, word)) // seedDelay
        }
        if (index == 0 || generation == 0 || c.generation != generation) revert JobNotFound(jobId);
    }

    /// @dev When an Open job can be awarded: at the pool's close; a pool holding more than k waits the
    /// seed delay more, so the randomness that draws it comes from a block produced after the last bid
    /// could be placed; an award-on-fill pool still short of k waits for its fill deadline (or its k-th bid).
    function _awardTime(JobCore memory c) internal pure returns (uint256) {
        uint256 end = _roundEnd(c);
        if (c.bids > end) return uint256(c.deadline) + c.seedDelay;
        if (c.bids < end) return uint256(c.deadline) + c.fillExtension;
        return c.deadline;
    }

    /// @dev The book size the open round fills to: k replicas in the first round, then
    /// `extra = min(k, cap - replicas so far)` more in each escalation.
    function _roundEnd(JobCore memory c) internal pure returns (uint256) {
        uint256 end = c.rounds.start() + c.replicas;
        uint256 cap = c.rounds.cap();
        return end < cap ? end : cap;
    }

    function _escrow(uint256 replicas, uint256 maxPrice, uint256 feeBps) internal pure returns (uint256) {
        uint256 gross = replicas * maxPrice;
        return gross + gross * feeBps / Limits.BPS;
    }

    function _popcount(uint256 x) internal pure returns (uint256 count) {
        for (; x != 0; x &= x - 1) {
            ++count;
        }
    }

    function _registered(address provider) internal view returns (ProviderRecord storage p) {
        p = _providers[provider];
        if (!p.bond.registered) revert NotRegistered(provider);
    }

    /// @dev The digest replica `i` revealed (its reveal bit must be set). A first round's reveal that
    /// matches the first revealer's digest writes nothing: its agreement bit says what it revealed, and its
    /// slot keeps the commitment (see JobCore.fillExtension). Every other reveal holds its digest in its
    /// own commitment slot.
    function _revealed(JobRecord storage rec, JobCore memory c, uint256 i) internal view returns (bytes32) {
        uint256 lead = c.rounds.start() == 0 ? c.fillExtension >> 16 : 0;
        if (lead != 0 && c.fillExtension & (1 << i) != 0) return rec.commitments[lead - 1];
        return rec.commitments[i];
    }

    /// @dev Protocol fees accrued to `account` if it is the treasury, else 0.
    function _feesOf(address account) internal view returns (uint256) {
        return account == _treasury.account ? _treasury.fees : 0;
    }
}
