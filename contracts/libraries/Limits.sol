// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Every bound the market enforces, in one place, with its unit in its name. Job-level bounds
/// are fixed for a deployment; the owner parameters move within the MAX_/MIN_ bounds here.
library Limits {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant MAX_REPLICAS = 16;
    /// Prices are packed into 80 bits next to the bidder's address (one slot per bid).
    uint256 internal constant MAX_PRICE_UNITS = type(uint80).max;
    uint256 internal constant MAX_BID_WINDOW_SECONDS = 7 days;
    uint256 internal constant MIN_PHASE_WINDOW_SECONDS = 1 minutes;
    uint256 internal constant MAX_PHASE_WINDOW_SECONDS = 7 days;
    uint256 internal constant MAX_REPUTATION_BPS = BPS;
    uint256 internal constant MAX_PROTOCOL_FEE_BPS = 500;
    /// Collateral per replica is ceil(maxPrice * ratio / BPS): never zero, and at least a tenth of what
    /// the job pays, so losing it is a real price for lying or walking away.
    uint256 internal constant MIN_COLLATERAL_RATIO_BPS = 1_000;
    uint256 internal constant MAX_COLLATERAL_RATIO_BPS = 50_000;
    /// Reputation a newly registered provider starts with (the prior's agreement rate).
    uint256 internal constant INITIAL_SCORE_BPS = BPS / 2;
    uint256 internal constant MAX_UNBONDING_DELAY_SECONDS = 30 days;
    uint256 internal constant MIN_FILL_TIMEOUT_SECONDS = 1 minutes;
    uint256 internal constant MAX_FILL_TIMEOUT_SECONDS = 7 days;
    /// Bids a job's pool holds (one book slot each); a full pool admits a bid only in place of a lighter one.
    uint256 internal constant MAX_POOL = 16;
    /// A pool entry weighs its provider's stake, capped at this many times the job's collateral, so one
    /// large stake cannot take every replica of small jobs.
    uint256 internal constant WEIGHT_CAP = 64;
    /// Weights are kept in 16 bits as stake / collateral in thousandths: a split stake loses at most a
    /// thousandth of a collateral per identity to rounding, and never gains.
    uint256 internal constant WEIGHT_UNIT = 1_000;
    /// The owner's pool window and seed delay are packed in 8 bits each.
    uint256 internal constant MAX_POOL_WINDOW_SECONDS = 255;
    uint256 internal constant MAX_SEED_DELAY_SECONDS = 255;
    uint256 internal constant MAX_PEER_ID_BYTES = 64;
    uint256 internal constant MAX_MULTIADDRS = 8;
    uint256 internal constant MAX_MULTIADDR_BYTES = 256;
    /// Stake, locked collateral and earnings share 96-bit fields.
    uint256 internal constant MAX_STAKE_UNITS = type(uint96).max;
    uint256 internal constant MAX_ASK_PRICE_UNITS = type(uint96).max;
}
