// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice One bid in one storage word: bidder (160 bits) | reputation score at bid time (16) | price (80).
/// Keeping a bid in a single slot is what lets a record's bid slots be rewritten (5k gas) instead of
/// allocated (22.1k) when the record is reused.
library BidEntry {
    function pack(address bidder, uint256 score, uint256 amount) internal pure returns (uint256) {
        // Callers bound reputation to 10_000 and price to 2^80 - 1, so the fields cannot overlap.
        return (uint256(uint160(bidder)) << 96) | (score << 80) | amount;
    }

    function provider(uint256 entry) internal pure returns (address) {
        return address(uint160(entry >> 96));
    }

    function reputation(uint256 entry) internal pure returns (uint256) {
        return (entry >> 80) & 0xffff;
    }

    function price(uint256 entry) internal pure returns (uint256) {
        return entry & type(uint80).max;
    }

    /// @dev Whether `a` ranks strictly better than `b`: lower price, then higher reputation. An equal
    /// bid never ranks better, so the earlier of two equal bids keeps its place.
    function beats(uint256 a, uint256 b) internal pure returns (bool) {
        uint256 pa = price(a);
        uint256 pb = price(b);
        return pa < pb || (pa == pb && reputation(a) > reputation(b));
    }
}
