// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice One pool entry in one storage word: bidder (160 bits) | draw weight (16) | price (80).
/// Keeping a bid in a single slot is what lets a record's bid slots be rewritten (5k gas) instead of
/// allocated (22.1k) when the record is reused.
library BidEntry {
    function pack(address bidder, uint256 drawWeight, uint256 amount) internal pure returns (uint256) {
        // Callers bound the weight to 16 bits and the price to 2^80 - 1, so the fields cannot overlap.
        return (uint256(uint160(bidder)) << 96) | (drawWeight << 80) | amount;
    }

    function provider(uint256 entry) internal pure returns (address) {
        return address(uint160(entry >> 96));
    }

    /// @dev The entry's chance in the draw: its provider's stake when it bid, in thousandths of the
    /// job's collateral, capped (Limits.WEIGHT_CAP). Never 0: a bid needs the collateral in free stake.
    function weight(uint256 entry) internal pure returns (uint256) {
        return (entry >> 80) & 0xffff;
    }

    function price(uint256 entry) internal pure returns (uint256) {
        return entry & type(uint80).max;
    }
}
