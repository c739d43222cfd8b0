// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {JobBoard} from "./JobBoard.sol";
import {MarketState} from "./MarketState.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {ProviderView} from "./types/MarketTypes.sol";
import {ProviderBond, ProviderHot, ProviderRecord} from "./types/Storage.sol";
import {Limits} from "./libraries/Limits.sol";

/// @title Accord provider registry
/// @notice Providers (registration, stake, unbonding, reputation view) and credited balances: the
/// half of a market's code that the job lifecycle only reads. JobMarket creates one in its constructor
/// and runs it by delegatecall for every function it does not have itself, so these functions live on
/// the market's address, in the market's storage (MarketState), emit from it and share its reentrancy
/// guard. Apart, the market's own code stays under the EIP-170 size limit with room to grow, and the
/// job paths keep reading stake and locks from their own storage (no call per bid or settlement).
contract ProviderRegistry is MarketState, IProviderRegistry, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// This contract's own address: under delegatecall `address(this)` is the market's instead.
    address private immutable _self;
    /// The job board (posting and job views), one more delegatecall hop away: its code would not fit
    /// beside the job lifecycle's.
    address private immutable _board;

    constructor(IERC20 token_) MarketState(token_) {
        _self = address(this);
        _board = address(new JobBoard(token_));
    }

    /// @notice Every IJobBoard function: runs the board's code in the caller's storage (the market's,
    /// when the market delegated here), as the caller's own call, and returns or reverts with its data.
    fallback() external {
        address board = _board;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), board, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @dev Called directly, this code would keep registrations and stake in the registry's own
    /// storage, out of every market's reach: only a market's delegatecall may run it.
    modifier onlyThroughMarket() {
        if (address(this) == _self) revert NotThroughMarket();
        _;
    }

    // ------------------------------------------------------------------ providers

    /// @inheritdoc IProviderRegistry
    function registerProvider(bytes calldata peerId, string[] calldata multiaddrs, uint256 askPrice)
        external
        nonReentrant
        onlyThroughMarket
    {
        ProviderRecord storage p = _providers[msg.sender];
        if (p.bond.registered) revert AlreadyRegistered(msg.sender);
        p.bond.registered = true;
        p.hot.score = uint16(Limits.INITIAL_SCORE_BPS);
        _describe(p, peerId, multiaddrs, askPrice);
        emit ProviderRegistered(msg.sender, peerId, multiaddrs, askPrice);
    }

    /// @inheritdoc IProviderRegistry
    function updateProvider(bytes calldata peerId, string[] calldata multiaddrs, uint256 askPrice)
        external
        nonReentrant
        onlyThroughMarket
    {
        ProviderRecord storage p = _registered(msg.sender);
        _describe(p, peerId, multiaddrs, askPrice);
        emit ProviderUpdated(msg.sender, peerId, multiaddrs, askPrice);
    }

    /// @inheritdoc IProviderRegistry
    function stake(uint256 amount) external nonReentrant onlyThroughMarket {
        ProviderRecord storage p = _registered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint256 current = p.bond.stake;
        if (amount > Limits.MAX_STAKE_UNITS - current) revert AmountTooLarge(amount, Limits.MAX_STAKE_UNITS - current);
        p.bond.stake = uint96(current + amount);
        emit Staked(msg.sender, amount, current + amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IProviderRegistry
    function requestUnstake(uint256 amount) external nonReentrant onlyThroughMarket {
        ProviderRecord storage p = _registered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        ProviderBond memory b = p.bond;
        uint256 free = b.stake - p.hot.locked;
        if (amount > free) revert UnstakeExceedsFree(msg.sender, amount, free);
        b.stake -= uint96(amount);
        b.unbonding += uint96(amount);
        b.unbondingAt = uint40(block.timestamp + _config.unbondingDelay);
        p.bond = b;
        emit UnstakeRequested(msg.sender, amount, b.unbonding, b.unbondingAt);
    }

    /// @inheritdoc IProviderRegistry
    function withdrawUnstaked() external nonReentrant onlyThroughMarket returns (uint256 amount) {
        ProviderBond storage b = _providers[msg.sender].bond;
        amount = b.unbonding;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        if (block.timestamp < b.unbondingAt) revert UnbondingNotFinished(msg.sender, b.unbondingAt, block.timestamp);
        b.unbonding = 0;
        emit Unstaked(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IProviderRegistry
    function withdraw() external nonReentrant onlyThroughMarket returns (uint256 amount) {
        ProviderHot storage h = _providers[msg.sender].hot;
        uint256 earnings = h.earnings;
        uint256 fees = _feesOf(msg.sender);
        amount = _credits[msg.sender] + earnings + fees;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _credits[msg.sender] = 0;
        if (earnings != 0) h.earnings = 0;
        if (fees != 0) _treasury.fees = 0;
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IProviderRegistry
    function getProvider(address provider) external view onlyThroughMarket returns (ProviderView memory v) {
        ProviderRecord storage p = _providers[provider];
        ProviderHot memory h = p.hot;
        ProviderBond memory b = p.bond;
        v.registered = b.registered;
        v.peerId = p.peerId;
        v.multiaddrs = p.multiaddrs;
        v.askPrice = p.askPrice;
        v.stake = b.stake;
        v.locked = h.locked;
        v.unbonding = b.unbonding;
        v.unbondingAvailableAt = b.unbondingAt;
        v.earnings = h.earnings;
        v.awarded = h.awarded;
        v.agreed = h.agreed;
        v.dissented = p.trust.dissented;
        v.missed = p.trust.missed;
        v.agreedValue = p.trust.agreedValue;
        v.judgedValue = p.trust.judgedValue;
        v.score = h.score;
    }

    /// @inheritdoc IProviderRegistry
    function withdrawable(address account) external view onlyThroughMarket returns (uint256) {
        return _credits[account] + _providers[account].hot.earnings + _feesOf(account);
    }

    // ------------------------------------------------------------------ internal

    function _describe(ProviderRecord storage p, bytes calldata peerId, string[] calldata multiaddrs, uint256 askPrice)
        private
    {
        if (peerId.length == 0 || peerId.length > Limits.MAX_PEER_ID_BYTES) {
            revert PeerIdLengthOutOfRange(peerId.length, Limits.MAX_PEER_ID_BYTES);
        }
        if (multiaddrs.length > Limits.MAX_MULTIADDRS) revert TooManyMultiaddrs(multiaddrs.length, Limits.MAX_MULTIADDRS);
        for (uint256 i; i < multiaddrs.length; ++i) {
            uint256 len = bytes(multiaddrs[i]).length;
            if (len > Limits.MAX_MULTIADDR_BYTES) revert MultiaddrTooLong(i, len, Limits.MAX_MULTIADDR_BYTES);
        }
        if (askPrice > Limits.MAX_ASK_PRICE_UNITS) revert AskPriceTooLarge(askPrice, Limits.MAX_ASK_PRICE_UNITS);
        p.peerId = peerId;
        // The legacy code generator cannot copy a calldata string[] to storage in one assignment.
        delete p.multiaddrs;
        for (uint256 i; i < multiaddrs.length; ++i) {
            p.multiaddrs.push(multiaddrs[i]);
        }
        p.askPrice = uint96(askPrice);
    }
}
