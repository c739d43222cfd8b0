// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {MarketState} from "./MarketState.sol";
import {ProviderRegistry} from "./ProviderRegistry.sol";
import {IJobBoard} from "./interfaces/IJobBoard.sol";
import {IMarketCore} from "./interfaces/IMarketCore.sol";
import {Parameters} from "./types/MarketTypes.sol";
import {Config, ProviderHot} from "./types/Storage.sol";
import {Limits} from "./libraries/Limits.sol";

/// @notice Owner parameters, batching, and the route to the ProviderRegistry. The job lifecycle lives
/// in JobSettlement and JobMarket, which build on this.
/// @dev MarketState comes first among the bases, so its slots start at 0 here as in the registry;
/// Ownable's two slots follow it and are never touched by the registry's code.
abstract contract MarketBase is MarketState, IMarketCore, Ownable2Step, ReentrancyGuardTransient {
    /// Created by the constructor, so a market can never be paired with a registry built for another
    /// token or storage layout.
    address private immutable _registry;
    /// The registry's JobBoard, reached in one hop for posting (see the fallback).
    address private immutable _board;

    constructor(IERC20 token_, address owner_, Parameters memory parameters_) MarketState(token_) Ownable(owner_) {
        address registry = address(new ProviderRegistry(token_));
        _registry = registry;
        // The board is the registry's first creation (a contract's nonce starts at 1, EIP-161), so its
        // address is the CREATE address of (registry, 1): rlp([registry, 1]) = 0xd6 0x94 registry 0x01.
        _board = address(uint160(uint256(keccak256(abi.encodePacked(bytes2(0xd694), registry, bytes1(0x01))))));
        _setParameters(parameters_);
    }

    /// @notice Every IProviderRegistry function: runs the registry's code in this market's storage, as
    /// the caller's own call (msg.sender kept, nothing payable), and returns or reverts with its data.
    /// The registry's fallback runs the JobBoard's the same way; a post goes to the board directly,
    /// saving the requester the registry hop (a cold code access and a calldata copy, ~3,000 gas a job).
    fallback() external {
        address registry = msg.sig == IJobBoard.postJob.selector || msg.sig == IJobBoard.postJobWithPermit.selector
            ? _board
            : _registry;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), registry, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @dev For the job functions, none of which calls out (no token transfer, no callback): refusing to
    /// run inside a guarded call keeps every re-entry out exactly as `nonReentrant` does, and with nothing
    /// to re-enter from, the flag need not be set and cleared (two transient writes, ~250 gas of every
    /// bid and reveal).
    modifier notEntered() {
        if (_reentrancyGuardEntered()) revert ReentrancyGuardReentrantCall();
        _;
    }

    // ------------------------------------------------------------------ batching

    /// @inheritdoc IMarketCore
    function tryMulticall(bytes[] calldata data) external returns (bool[] memory ok, bytes[] memory results) {
        // Not nonReentrant itself: each item enters through its own guarded entry point, which must
        // find the guard open. A batch started from inside a guarded call (a token hook re-entering
        // mid-transfer) is refused whole rather than left to fail item by item.
        if (_reentrancyGuardEntered()) revert ReentrancyGuardReentrantCall();
        uint256 n = data.length;
        ok = new bool[](n);
        results = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            // delegatecall to this contract: the item runs as if called directly, msg.sender included
            // (a registry function passes through the fallback, a second delegatecall that keeps it),
            // and a reverting item rolls back only its own frame. No function is payable, so there
            // is no msg.value to count twice.
            (ok[i], results[i]) = address(this).delegatecall(data[i]);
        }
    }

    // ------------------------------------------------------------------ owner

    /// @inheritdoc IMarketCore
    function setParameters(Parameters calldata parameters_) external onlyOwner {
        _setParameters(parameters_);
    }

    function _setParameters(Parameters memory q) internal {
        if (q.protocolFeeBps > Limits.MAX_PROTOCOL_FEE_BPS) {
            revert ProtocolFeeTooHigh(q.protocolFeeBps, Limits.MAX_PROTOCOL_FEE_BPS);
        }
        if (q.collateralRatioBps > Limits.MAX_COLLATERAL_RATIO_BPS) {
            revert CollateralRatioTooHigh(q.collateralRatioBps, Limits.MAX_COLLATERAL_RATIO_BPS);
        }
        if (q.collateralRatioBps < Limits.MIN_COLLATERAL_RATIO_BPS) {
            revert CollateralRatioTooLow(q.collateralRatioBps, Limits.MIN_COLLATERAL_RATIO_BPS);
        }
        if (q.unbondingDelay > Limits.MAX_UNBONDING_DELAY_SECONDS) {
            revert UnbondingDelayTooLong(q.unbondingDelay, Limits.MAX_UNBONDING_DELAY_SECONDS);
        }
        if (q.fillTimeout < Limits.MIN_FILL_TIMEOUT_SECONDS || q.fillTimeout > Limits.MAX_FILL_TIMEOUT_SECONDS) {
            revert FillTimeoutOutOfRange(q.fillTimeout, Limits.MIN_FILL_TIMEOUT_SECONDS, Limits.MAX_FILL_TIMEOUT_SECONDS);
        }
        if (q.treasury == address(0)) revert InvalidTreasury(q.treasury);
        if (q.poolWindow > Limits.MAX_POOL_WINDOW_SECONDS) revert PoolWindowTooLong(q.poolWindow, Limits.MAX_POOL_WINDOW_SECONDS);
        if (q.seedDelay > Limits.MAX_SEED_DELAY_SECONDS) revert SeedDelayTooLong(q.seedDelay, Limits.MAX_SEED_DELAY_SECONDS);
        Config memory c = _config;
        c.minStake = q.minStake;
        c.unbondingDelay = uint24(q.unbondingDelay);
        c.protocolFeeBps = q.protocolFeeBps;
        c.collateralRatioBps = q.collateralRatioBps;
        c.fillTimeout = uint24(q.fillTimeout);
        c.poolWindow = q.poolWindow;
        c.seedDelay = q.seedDelay;
        _config = c;
        // Fees accrued so far belong to the treasury that earned them.
        uint256 fees = _treasury.fees;
        if (fees != 0) {
            _credits[_treasury.account] += fees;
            _treasury.fees = 0;
        }
        _treasury.account = q.treasury;
        emit ParametersChanged(q);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IMarketCore
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @inheritdoc IMarketCore
    function parameters() external view returns (Parameters memory) {
        Config memory c = _config;
        return Parameters(
            c.minStake, c.unbondingDelay, c.protocolFeeBps, c.collateralRatioBps, c.fillTimeout, _treasury.account, c.poolWindow, c.seedDelay
        );
    }

    /// @inheritdoc IMarketCore
    function providerRegistry() external view returns (address) {
        return _registry;
    }

    // ------------------------------------------------------------------ internal

    /// @dev Releases `collateral` of `provider`'s locked stake (a displaced bid, a cancelled or expired job).
    /// `locked` is the hot slot's low 96 bits, so the release is one subtraction from the word, read and
    /// written once (`.locked -= ` read it twice and masked the other fields back in, ~300 gas more a
    /// call, three calls at a 3-of-6 draw). A lock never exceeds what was locked: the check is checked
    /// arithmetic's, kept for the impossible case.
    function _unlock(address provider, uint256 collateral) internal {
        ProviderHot storage h = _providers[provider].hot;
        uint256 word;
        assembly ("memory-safe") {
            word := sload(h.slot)
        }
        uint256 rest = uint256(uint96(word)) - collateral;
        assembly ("memory-safe") {
            sstore(h.slot, or(and(word, not(0xffffffffffffffffffffffff)), rest))
        }
    }
}
