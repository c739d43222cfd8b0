// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {JobState} from "./MarketTypes.sol";

// Storage layouts, packed by access: what bid, commit and reveal touch sits in one slot each.

/// @dev Slot 0 of a job record: everything a bid, commit or reveal reads or writes (256 bits).
struct JobCore {
    JobState state;
    uint8 bids;
    uint16 commitMask; // bit i: replica i committed
    uint16 revealMask; // bit i: replica i revealed
    uint40 deadline; // of the current phase
    uint8 replicas;
    uint8 quorum;
    bool awardOnFill;
    uint16 collateralBps;
    uint16 minReputation;
    uint24 commitWindow;
    uint24 revealWindow;
    // Of the job in this record. 16 bits (a record reused 65,535 times retires, see JobBoard._post)
    // leave room for `rounds` in this slot, which every bid and reveal reads anyway.
    uint16 generation;
    uint16 rounds; // Rounds: the cap on replicas, the open round's first book slot and its number
    // While Open, award on fill: seconds after the pool window (`deadline` while Open) that a pool still
    // short of `replicas` bids keeps taking them (the owner's fill timeout); 0 for a job with a bid window.
    // From the award on (nothing reads the extension then; an escalation sets it anew), a first round's
    // agreement (MarketState._revealed): bits 0-15 the replicas that revealed the leader's digest, bits
    // 16-20 the leader's book slot + 1 (the first revealer, whose slot holds the digest), 0 before it.
    uint24 fillExtension;
    uint8 seedDelay; // seconds from the pool's close to the earliest draw (owner parameter at post)
}

/// @dev Slot 1 of a job record: read by bids (price cap) and settlement (256 bits).
struct JobTerms {
    address requester;
    uint80 maxPrice;
    uint16 feeBps;
}

/// @dev A job's storage. Records are reused after a job ends, so none of these slots is ever
/// cleared: stale entries beyond `bids` and commitments outside `commitMask` are never read.
struct JobRecord {
    JobCore core;
    JobTerms terms;
    uint256[16] entries; // BidEntry words: the pool in arrival order until the draw, then the drawn replicas
    bytes32[16] commitments; // a commitment, replaced by the result digest at reveal
}

/// @dev Owner parameters and the record allocator, read once per post (256 bits).
struct Config {
    uint96 minStake;
    uint24 unbondingDelay;
    uint16 protocolFeeBps;
    uint16 collateralRatioBps;
    uint24 fillTimeout;
    uint8 poolWindow;
    uint8 seedDelay;
    uint32 cursor; // next record to consider for reuse (round-robin over 1..records), 0 before the first
    uint32 records; // records ever allocated
}

/// @dev What bids read and every settlement changes for a provider, in one slot. The counts are
/// activity figures for the views and saturate rather than overflow (a revert would strand a job).
struct ProviderHot {
    uint96 locked;
    uint96 earnings;
    uint24 awarded;
    uint24 agreed;
    uint16 score; // reputation in bps, recomputed whenever ProviderTrust's values change
}

/// @dev The value-weighted record behind the score, written only when a settlement judges the
/// provider: a replicated agreement paid by someone else, or a failure.
struct ProviderTrust {
    uint96 agreedValue; // sum of the prices others paid it for replicated agreement
    uint96 judgedValue; // agreedValue plus the max price of every job it dissented on or missed
    uint32 dissented;
    uint32 missed;
}

/// @dev Stake and unbonding, read by bids, written by staking and slashing.
struct ProviderBond {
    uint96 stake;
    uint96 unbonding;
    uint40 unbondingAt;
    bool registered;
}

struct ProviderRecord {
    ProviderHot hot;
    ProviderBond bond;
    ProviderTrust trust;
    uint96 askPrice;
    bytes peerId;
    string[] multiaddrs;
}

/// @dev The treasury and the fees it has accrued, in one slot: a settlement adds its fee here (one
/// slot read and written) instead of reading the treasury's address and then its credit slot.
struct Treasury {
    address account;
    uint96 fees; // credited to `account`, paid out by its `withdraw`
}
