// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMarketEvents} from "./IMarketEvents.sol";
import {ProviderView} from "../types/MarketTypes.sol";

/// @title Accord provider registry
/// @notice Providers (registration, stake, unbonding, reputation) and credited balances. Part of the
/// JobMarket's API: these functions are called on the market's address, which runs the
/// ProviderRegistry's code in its own storage (see docs/PROTOCOL.md, "Contract layout").
interface IProviderRegistry is IMarketEvents {
    // ------------------------------------------------------------------ providers

    /// @notice Registers the caller as a provider (once per address).
    /// @param peerId Binary libp2p peer id (1..64 bytes).
    /// @param multiaddrs Where to reach the provider (at most 8, each at most 256 bytes).
    /// @param askPrice Advertised price in token units per 1e9 fuel, so requesters can estimate cost.
    function registerProvider(bytes calldata peerId, string[] calldata multiaddrs, uint256 askPrice) external;

    /// @notice Replaces the caller's peer id, addresses and ask price.
    function updateProvider(bytes calldata peerId, string[] calldata multiaddrs, uint256 askPrice) external;

    /// @notice Adds `amount` to the caller's stake (needs a prior approval). Caller must be registered.
    function stake(uint256 amount) external;

    /// @notice Moves `amount` of free (unlocked) stake into unbonding and restarts the unbonding clock
    /// for everything unbonding.
    function requestUnstake(uint256 amount) external;

    /// @notice Sends the caller all of its unbonded stake once the unbonding delay has passed.
    /// @return amount What was sent.
    function withdrawUnstaked() external returns (uint256 amount);

    /// @notice Sends the caller everything credited to it (refunds, earnings; the treasury's fees and slashed collateral).
    /// @return amount What was sent.
    function withdraw() external returns (uint256 amount);

    // ------------------------------------------------------------------ views

    /// @notice A provider's record (registered == false for strangers).
    function getProvider(address provider) external view returns (ProviderView memory);

    /// @notice What `withdraw` would send `account` now.
    function withdrawable(address account) external view returns (uint256);
}
