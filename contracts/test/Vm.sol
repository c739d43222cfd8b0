// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The few cheatcodes these tests use (Hardhat's Solidity test runner serves them at the
/// standard address), declared here instead of pulling in forge-std.
interface Vm {
    function warp(uint256 timestamp) external;
    function prevrandao(bytes32 value) external;
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function assume(bool condition) external;
    function expectRevert(bytes calldata revertData) external;
    function expectRevert(bytes4 selector) external;
}

Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

/// @dev Assertions that name what broke.
library Check {
    error Mismatch(string what, uint256 actual, uint256 expected);
    error Failed(string what);

    function eq(uint256 actual, uint256 expected, string memory what) internal pure {
        if (actual != expected) revert Mismatch(what, actual, expected);
    }

    function ok(bool condition, string memory what) internal pure {
        if (!condition) revert Failed(what);
    }
}
