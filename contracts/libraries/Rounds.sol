// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A job's escalation state, in the 16 bits of its core slot that the narrowed generation left
/// free: the cap on replicas (maxReplicas - 1, bits 0-3), the book slot where the open round's entries
/// start (bits 4-7) and the round's number (bits 8-11, 0 for the first). Each fits 4 bits: a job holds
/// at most 16 replicas, every round adds at least one, so there are at most 16 rounds and slots.
library Rounds {
    function init(uint256 maxReplicas) internal pure returns (uint16) {
        return uint16(maxReplicas - 1);
    }

    /// @dev maxReplicas: the most replicas all rounds together may hold.
    function cap(uint16 r) internal pure returns (uint256) {
        return (uint256(r) & 0xf) + 1;
    }

    /// @dev The first book slot of the open round; the replicas before it are earlier rounds'.
    function start(uint16 r) internal pure returns (uint256) {
        return (uint256(r) >> 4) & 0xf;
    }

    function round(uint16 r) internal pure returns (uint256) {
        return uint256(r) >> 8;
    }

    /// @dev The next round, whose entries start at book slot `first`.
    function next(uint16 r, uint256 first) internal pure returns (uint16) {
        return uint16(((round(r) + 1) << 8) | (first << 4) | (uint256(r) & 0xf));
    }
}
