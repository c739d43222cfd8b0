// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @notice The devnet and test settlement token: ERC-20 with ERC-2612 permits, any decimals, and an
/// open faucet (`mint`), which is why it must never be deployed where the token has value.
contract TestToken is ERC20, ERC20Permit {
    uint8 private immutable _decimals;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) ERC20Permit(name_) {
        _decimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Faucet: anyone mints to anyone (test networks only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
