// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {JobMarket} from "../JobMarket.sol";
import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {TestToken} from "../mocks/TestToken.sol";
import {Parameters} from "../types/MarketTypes.sol";
import {MarketHandler} from "./MarketHandler.sol";
import {Check} from "./Vm.sol";

/// @notice The invariant handler itself works: a scripted sequence settles, and a regression found by
/// the campaign (a job awarded during the final drain) still drains.
contract HandlerSmokeTest {
    function test_handlerSettlesAScriptedJob() public {
        TestToken token = new TestToken("S", "S", 18, address(this));
        Parameters memory params = Parameters(1e18, 1 days, 250, 5_000, 1 hours, address(0x3000), 0, 0);
        IJobMarket market = IJobMarket(address(new JobMarket(IERC20(address(token)), address(this), params)));
        MarketHandler h = new MarketHandler(market, token, params.treasury);
        token.transferOwnership(address(h));
        h.registerAll();
        h.post(0, 0, 0, 1e18, 0); // k = 1, award on fill
        Check.eq(h.jobCount(), 1, "posted");
        h.bid(0, 0, 5);
        h.commit(0, 0, 0);
        h.reveal(0, 0);
        Check.eq(h.settledJobs(), 1, "settled");
        Check.eq(h.violations(), 0, h.lastViolation());
    }

    function test_handlerSettlesAJobOnCommittedBids() public {
        TestToken token = new TestToken("S", "S", 18, address(this));
        Parameters memory params = Parameters(1e18, 1 days, 250, 5_000, 1 hours, address(0x3000), 0, 0);
        IJobMarket market = IJobMarket(address(new JobMarket(IERC20(address(token)), address(this), params)));
        MarketHandler h = new MarketHandler(market, token, params.treasury);
        token.transferOwnership(address(h));
        h.registerAll();
        h.post(0, 2, 0, 1e18, 0); // k = 3, quorum 2, award on fill
        h.bidAndCommit(0, 0, 5, 0);
        h.bidAndCommit(0, 1, 6, 0);
        h.bidAndCommit(0, 2, 7, 0); // awards and opens the reveal phase
        h.reveal(0, uint256(0) << 8 | 1);
        h.reveal(0, uint256(1) << 8 | 1);
        h.reveal(0, uint256(2) << 8 | 1);
        Check.eq(h.settledJobs(), 1, "settled");
        Check.eq(h.violations(), 0, h.lastViolation());
    }

    function test_handlerSettlesAOneReplicaJobInOneBatch() public {
        TestToken token = new TestToken("S", "S", 18, address(this));
        Parameters memory params = Parameters(1e18, 1 days, 250, 5_000, 1 hours, address(0x3000), 0, 0);
        IJobMarket market = IJobMarket(address(new JobMarket(IERC20(address(token)), address(this), params)));
        MarketHandler h = new MarketHandler(market, token, params.treasury);
        token.transferOwnership(address(h));
        h.registerAll();
        h.post(0, 0, 0, 1e18, 0); // k = 1, award on fill
        h.batchBidAndReveal(0, 0, 5, 0); // bidAndCommit awards and opens reveal; the reveal settles
        Check.eq(h.settledJobs(), 1, "settled");
        Check.eq(h.violations(), 0, h.lastViolation());
    }

    function test_drainSettlesAJobItAwardsOnTheWay() public {
        TestToken token = new TestToken("S", "S", 18, address(this));
        Parameters memory params = Parameters(1e18, 1 days, 250, 5_000, 1 hours, address(0x3000), 0, 0);
        IJobMarket market = IJobMarket(address(new JobMarket(IERC20(address(token)), address(this), params)));
        MarketHandler h = new MarketHandler(market, token, params.treasury);
        token.transferOwnership(address(h));
        h.registerAll();
        h.post(69006213917919782594031077712051908930239531824087816469486624615647879888895, 10839, 10065, 38446592129577643011732553616165906904406049596013468528726150940127406325760, 13342);
        h.post(58906687124819493655749173090846252636046322669279197867781441556097418657792, 2090, 17844, 1357, 13826);
        h.bid(573552993349411436317343037412544792458768892702960565800810824265, 1211048004623612305450779931501493969636750239414420983328272148621283614, 115792089237316195423570985008687907853269984665640564039457584007913129639932);
        h.drain();
    }

    /// An escalated job goes back to Open in a later round: the handler must follow it there and still
    /// check the split (restitution included) when it settles.
    function test_handlerFollowsAnEscalatedJob() public {
        TestToken token = new TestToken("S", "S", 18, address(this));
        Parameters memory params = Parameters(1e18, 1 days, 250, 5_000, 1 hours, address(0x3000), 0, 0);
        IJobMarket market = IJobMarket(address(new JobMarket(IERC20(address(token)), address(this), params)));
        MarketHandler h = new MarketHandler(market, token, params.treasury);
        token.transferOwnership(address(h));
        h.registerAll();
        h.post(0, 1, 0, 1e18, 5637144576); // k = 2, quorum 2, maxReplicas 3, award on fill
        Check.eq(market.getJob(h.jobAt(0).id).maxReplicas, 3, "cap");
        h.bidAndCommit(0, 0, 5, 0);
        h.bidAndCommit(0, 1, 6, 3); // a wrong result: no quorum
        h.reveal(0, uint256(0) << 8 | 1);
        h.reveal(0, uint256(1) << 8 | 1);
        Check.eq(market.getJob(h.jobAt(0).id).round, 1, "escalated");
        Check.eq(h.settledJobs(), 0, "not settled yet");
        h.bidAndCommit(0, 2, 7, 0);
        h.reveal(0, uint256(2) << 8 | 1);
        Check.eq(h.settledJobs(), 1, "settled");
        Check.ok(market.getProvider(address(0x2001)).stake < 1e24, "the dissenter was slashed");
        Check.eq(h.violations(), 0, h.lastViolation());
    }
}
