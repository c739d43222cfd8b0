// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {JobMarket} from "../JobMarket.sol";
import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {TestToken} from "../mocks/TestToken.sol";
import {JobState, JobView, Parameters, ProviderView, ReplicaView} from "../types/MarketTypes.sol";
import {MarketHandler} from "./MarketHandler.sol";
import {Check} from "./Vm.sol";

/// @notice Random sequences of market operations (see MarketHandler) never break solvency,
/// accounting, locking, ordering or bounds, and past every deadline everyone gets their funds out.
contract JobMarketInvariantTest {
    IJobMarket internal market;
    TestToken internal token;
    MarketHandler internal handler;

    function setUp() public {
        token = new TestToken("Invariant", "INV", 18, address(this));
        Parameters memory params = Parameters({
            minStake: 1e18,
            unbondingDelay: 1 days,
            protocolFeeBps: 250,
            collateralRatioBps: 5_000,
            fillTimeout: 1 hours,
            treasury: address(0x3000),
            // Nonzero, so award-on-fill pools draw their replicas in the runs as they do on a real chain.
            poolWindow: 30,
            seedDelay: 12
        });
        market = IJobMarket(address(new JobMarket(IERC20(address(token)), address(this), params)));
        handler = new MarketHandler(market, token, params.treasury);
        token.transferOwnership(address(handler));
        handler.registerAll();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// One campaign checks every property after every call (one invariant function per campaign).
    function invariant_marketStaysSolventAndConsistent() public view {
        Check.eq(handler.violations(), 0, handler.lastViolation());

        uint256 owed;
        address[] memory all = handler.actors();
        // What each actor should have locked: the job's collateral for every live bid and replica it holds.
        uint256[] memory collateralOf = new uint256[](all.length);
        for (uint256 g; g < handler.jobCount(); ++g) {
            MarketHandler.Ghost memory ghost = handler.jobAt(g);
            if (ghost.terminal) continue;
            JobView memory j = market.getJob(ghost.id);
            ReplicaView[] memory book = market.getReplicas(ghost.id);
            for (uint256 b; b < book.length; ++b) {
                Check.eq(book[b].collateral, (j.maxPrice * j.collateralRatioBps + 9_999) / 10_000, "a bid's collateral is not the job's");
                for (uint256 i; i < all.length; ++i) {
                    if (all[i] == book[b].provider) collateralOf[i] += book[b].collateral;
                }
            }
            owed += market.escrowOf(ghost.id);
            Check.eq(market.escrowOf(ghost.id), ghost.escrow, "a live job's escrow changed");
            Check.ok(j.reveals <= j.commits, "reveals > commits");
            Check.ok(j.commits <= j.bids, "commits > bids (committed bids before the award, committed replicas after)");
            // The pool holds up to 16 bids until the award; from then on the book is the drawn replicas.
            Check.ok(j.bids <= 16, "bids > pool size");
            if (j.state != JobState.Open) Check.ok(j.bids <= j.maxReplicas, "replicas > maxReplicas after the award");
            if (j.round == 0) Check.ok(j.state == JobState.Open || j.bids <= j.replicas, "replicas > k before any escalation");
            Check.ok(j.maxReplicas >= j.replicas && j.maxReplicas <= 16, "maxReplicas out of k..16");
        }
        for (uint256 i; i < all.length; ++i) {
            ProviderView memory p = market.getProvider(all[i]);
            Check.ok(p.locked <= p.stake, "locked stake exceeds stake");
            Check.eq(p.locked, collateralOf[i], "locked stake != collateral of the provider's live bids and replicas");
            if (p.registered) _checkReputation(p);
            owed += p.stake + p.unbonding + market.withdrawable(all[i]);
        }
        Check.eq(token.balanceOf(address(market)), owed, "market balance != escrow + stakes + credits");
    }

    /// Reputation is the value-weighted rate over the prior (minStake, fixed in this run).
    function _checkReputation(ProviderView memory p) internal pure {
        Check.ok(p.agreedValue <= p.judgedValue, "agreed value exceeds judged value");
        uint256 prior = 1e18;
        uint256 expected = p.judgedValue == 0 ? 5_000 : (p.agreedValue + prior) * 10_000 / (p.judgedValue + 2 * prior);
        Check.eq(p.score, expected, "score is not (agreedValue + prior) / (judgedValue + 2 prior)");
    }

    /// After each run, past every deadline: every job ends, everyone withdraws, nothing stays behind.
    function afterInvariant() public {
        handler.drain();
        for (uint256 g; g < handler.jobCount(); ++g) {
            MarketHandler.Ghost memory ghost = handler.jobAt(g);
            Check.ok(ghost.terminal, "a job could not be brought to a terminal state");
        }
        Check.eq(handler.violations(), 0, handler.lastViolation());
        Check.eq(token.balanceOf(address(market)), 0, "tokens left in the market after everyone withdrew");
    }
}
