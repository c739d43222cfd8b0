// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMarketEvents} from "../interfaces/IMarketEvents.sol";

/// @notice The one CID shape Accord anchors on-chain: binary CIDv1, codec raw (0x55) or dag-pb (0x70),
/// multihash sha2-256 (0x12) of 32 bytes (0x20). Both codecs fit a one-byte varint.
library CidLib {
    uint256 internal constant CID_BYTES = 36;
    /// The four prefix bytes of each accepted shape (version, codec, hash function, digest length).
    uint256 private constant RAW_PREFIX = 0x01551220;
    uint256 private constant DAG_PB_PREFIX = 0x01701220;

    /// @dev Reverts `InvalidCid` unless `cid` has the shape above; returns its 32-byte digest.
    /// The prefix is compared as one 4-byte word and the digest read with one calldataload: byte by
    /// byte with bounds checks and a slice, the check cost ~1,000 gas of every reveal (two CIDs each).
    function digest(bytes calldata cid) internal pure returns (bytes32 d) {
        (d,) = digestAndCodec(cid);
    }

    /// @dev As `digest`, with the CID's codec byte (0x55 or 0x70).
    function digestAndCodec(bytes calldata cid) internal pure returns (bytes32 d, uint256 codec) {
        uint256 prefix;
        assembly ("memory-safe") {
            prefix := shr(224, calldataload(cid.offset))
            d := calldataload(add(cid.offset, 4))
        }
        // calldataload past the end of calldata reads zeros; the length check makes both reads the CID's.
        if (cid.length != CID_BYTES || (prefix != RAW_PREFIX && prefix != DAG_PB_PREFIX)) {
            revert IMarketEvents.InvalidCid(cid);
        }
        codec = (prefix >> 16) & 0xff;
    }
}
