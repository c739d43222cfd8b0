// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {Parameters, ProviderView} from "./types/MarketTypes.sol";
import {Config, ProviderBond, ProviderHot, ProviderRecord, Treasury} from "./types/Storage.sol";
import {Limits} from "./libraries/Limits.sol";

/// @notice Providers (registration, stake, unbonding, reputation), credited balances and owner
/// parameters. The job lifecycle lives in JobMarket, which builds on this.
abstract contract MarketBase is IJobMarket, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    IERC20 internal immutable _token;
    Config internal _config;
    Treasury internal _treasury;
    mapping(address provider => ProviderRecord) internal _providers;
    /// Refunds, slashed collateral and fees credited to requesters and the treasury.
    mapping(address account => uint256) internal _credits;

    constructor(IERC20 token_, address owner_, Parameters memory parameters_) Ownable(owner_) {
        if (address(token_) == address(0)) revert InvalidToken(address(token_));
        _token = token_;
        _setParameters(parameters_);
    }

    // ------------------------------------------------------------------ providers

    /// @inheritdoc IJobMarket
    function registerProvider(bytes calldata peerId, string[] calldata multiaddrs, uint256 askPrice)
        external
        nonReentrant
    {
        ProviderRecord storage p = _providers[msg.sender];
        if (p.bond.registered) revert AlreadyRegistered(msg.sender);
        p.bond.registered = true;
        _describe(p, peerId, multiaddrs, askPrice);
        emit ProviderRegistered(msg.sender, peerId, multiaddrs, askPrice);
    }

    /// @inheritdoc IJobMarket
    function updateProvider(bytes calldata peerId, string[] calldata multiaddrs, uint256 askPrice)
        external
        nonReentrant
    {
        ProviderRecord storage p = _registered(msg.sender);
        _describe(p, peerId, multiaddrs, askPrice);
        emit ProviderUpdated(msg.sender, peerId, multiaddrs, askPrice);
    }

    /// @inheritdoc IJobMarket
    function stake(uint256 amount) external nonReentrant {
        ProviderRecord storage p = _registered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint256 current = p.bond.stake;
        if (amount > Limits.MAX_STAKE_UNITS - current) revert AmountTooLarge(amount, Limits.MAX_STAKE_UNITS - current);
        p.bond.stake = uint96(current + amount);
        emit Staked(msg.sender, amount, current + amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IJobMarket
    function requestUnstake(uint256 amount) external nonReentrant {
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

    /// @inheritdoc IJobMarket
    function withdrawUnstaked() external nonReentrant returns (uint256 amount) {
        ProviderBond storage b = _providers[msg.sender].bond;
        amount = b.unbonding;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        if (block.timestamp < b.unbondingAt) revert UnbondingNotFinished(msg.sender, b.unbondingAt, block.timestamp);
        b.unbonding = 0;
        emit Unstaked(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IJobMarket
    function withdraw() external nonReentrant returns (uint256 amount) {
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

    // ------------------------------------------------------------------ batching

    /// @inheritdoc IJobMarket
    function tryMulticall(bytes[] calldata data) external returns (bool[] memory ok, bytes[] memory results) {
        // Not nonReentrant itself: each item enters through its own guarded entry point, which must
        // find the guard open. A batch started from inside a guarded call (a token hook re-entering
        // mid-transfer) is refused whole rather than left to fail item by item.
        if (_reentrancyGuardEntered()) revert ReentrancyGuardReentrantCall();
        uint256 n = data.length;
        ok = new bool[](n);
        results = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            // delegatecall to this contract: the item runs as if called directly, msg.sender included,
            // and a reverting item rolls back only its own frame. No function is payable, so there
            // is no msg.value to count twice.
            (ok[i], results[i]) = address(this).delegatecall(data[i]);
        }
    }

    // ------------------------------------------------------------------ owner

    /// @inheritdoc IJobMarket
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
        if (q.unbondingDelay > Limits.MAX_UNBONDING_DELAY_SECONDS) {
            revert UnbondingDelayTooLong(q.unbondingDelay, Limits.MAX_UNBONDING_DELAY_SECONDS);
        }
        if (q.fillTimeout < Limits.MIN_FILL_TIMEOUT_SECONDS || q.fillTimeout > Limits.MAX_FILL_TIMEOUT_SECONDS) {
            revert FillTimeoutOutOfRange(q.fillTimeout, Limits.MIN_FILL_TIMEOUT_SECONDS, Limits.MAX_FILL_TIMEOUT_SECONDS);
        }
        if (q.treasury == address(0)) revert InvalidTreasury(q.treasury);
        Config memory c = _config;
        c.minStake = q.minStake;
        c.unbondingDelay = q.unbondingDelay;
        c.protocolFeeBps = q.protocolFeeBps;
        c.collateralRatioBps = q.collateralRatioBps;
        c.fillTimeout = q.fillTimeout;
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

    /// @inheritdoc IJobMarket
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @inheritdoc IJobMarket
    function parameters() external view returns (Parameters memory) {
        Config memory c = _config;
        return Parameters(c.minStake, c.unbondingDelay, c.protocolFeeBps, c.collateralRatioBps, c.fillTimeout, _treasury.account);
    }

    /// @inheritdoc IJobMarket
    function getProvider(address provider) external view returns (ProviderView memory v) {
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
        v.dissented = p.dissented;
        v.missed = p.missed;
        v.score = uint16(_score(h));
    }

    /// @inheritdoc IJobMarket
    function withdrawable(address account) external view returns (uint256) {
        return _credits[account] + _providers[account].hot.earnings + _feesOf(account);
    }

    /// @dev Protocol fees accrued to `account` if it is the treasury, else 0.
    function _feesOf(address account) private view returns (uint256) {
        return account == _treasury.account ? _treasury.fees : 0;
    }

    // ------------------------------------------------------------------ internal

    /// @dev Laplace-smoothed agreement rate, so a newcomer starts at 5_000 rather than 0 or 10_000.
    function _score(ProviderHot memory h) internal pure returns (uint256) {
        return (uint256(h.agreed) + 1) * Limits.BPS / (uint256(h.awarded) + 2);
    }

    function _registered(address provider) internal view returns (ProviderRecord storage p) {
        p = _providers[provider];
        if (!p.bond.registered) revert NotRegistered(provider);
    }

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

    /// @dev Releases `collateral` of `provider`'s locked stake (a displaced bid, a cancelled or expired job).
    function _unlock(address provider, uint256 collateral) internal {
        if (collateral != 0) _providers[provider].hot.locked -= uint96(collateral);
    }
}
