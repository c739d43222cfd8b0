// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IMarketEvents} from "./interfaces/IMarketEvents.sol";
import {Config, JobRecord, ProviderRecord, Treasury} from "./types/Storage.sol";
import {Limits} from "./libraries/Limits.sol";

/// @notice Every storage variable of a market, in one place. JobMarket and the ProviderRegistry it
/// runs by delegatecall both inherit this first and declare no storage of their own, so both
/// read and write the same slots. Declaring state anywhere else would shift one of the two layouts.
abstract contract MarketState is IMarketEvents {
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

    function _registered(address provider) internal view returns (ProviderRecord storage p) {
        p = _providers[provider];
        if (!p.bond.registered) revert NotRegistered(provider);
    }

    /// @dev Protocol fees accrued to `account` if it is the treasury, else 0.
    function _feesOf(address account) internal view returns (uint256) {
        return account == _treasury.account ? _treasury.fees : 0;
    }
}
