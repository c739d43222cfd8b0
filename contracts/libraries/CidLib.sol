// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMarketEvents} from "../interfaces/IMarketEvents.sol";

/// @notice The one CID shape Accord anchors on-chain: binary CIDv1, codec raw (0x55) or dag-pb (0x70),
/// multihash sha2-256 (0x12) of 32 bytes (0x20). Both codecs fit a one-byte varint.
library CidLib {
    uint256 internal constant CID_BYTES = 36;

    /// @dev Reverts `InvalidCid` unless `cid` has the shape above; returns its 32-byte digest.
    function digest(bytes calldata cid) internal pure returns (bytes32 d) {
        if (
            cid.length != CID_BYTES || cid[0] != 0x01 || (cid[1] != 0x55 && cid[1] != 0x70) || cid[2] != 0x12
                || cid[3] != 0x20
        ) revert IMarketEvents.InvalidCid(cid);
        d = bytes32(cid[4:CID_BYTES]);
    }
}
