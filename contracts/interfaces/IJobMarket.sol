// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IJobBoard} from "./IJobBoard.sol";
import {IMarketCore} from "./IMarketCore.sol";
import {IProviderRegistry} from "./IProviderRegistry.sol";

/// @title Accord JobMarket
/// @notice Escrow, stake, reverse auction, commit-reveal and quorum settlement for replicated
/// WebAssembly jobs, on one ERC-20 chosen at deployment. See docs/PROTOCOL.md, "## Contracts".
/// This is the whole API of a market's address: JobMarket's own functions (IMarketCore) and the
/// provider and balance functions its ProviderRegistry serves there (IProviderRegistry), and the job
/// views the registry's JobViews serve there (IJobBoard).
/// @dev Job ids are opaque: `(generation << 32) | record`. A terminal job's storage record is
/// reused by a later job (this keeps its slots nonzero, which is most of the gas budget), after
/// which views of the old id revert with `JobNotFound`; its whole history stays in the events.
interface IJobMarket is IMarketCore, IProviderRegistry, IJobBoard {}
