// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {JobMarket} from "../JobMarket.sol";
import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {IMarketEvents} from "../interfaces/IMarketEvents.sol";
import {TestToken} from "../mocks/TestToken.sol";
import {JobParams, JobState, JobView, Parameters, ReplicaView} from "../types/MarketTypes.sol";
import {Check, vm} from "./Vm.sol";

/// @notice Property tests of single operations over fuzzed inputs (256 runs, fixed seed in `npm test`).
contract JobMarketFuzzTest {
    uint256 internal constant PROVIDERS = 6;
    uint256 internal constant STAKE = 1e28;
    address internal constant REQUESTER = address(0x1000);
    address internal constant TREASURY = address(0x3000);

    TestToken internal token;
    IJobMarket internal market;

    function setUp() public {
        token = new TestToken("Fuzz", "FZ", 18, address(this));
        market = IJobMarket(address(new JobMarket(IERC20(address(token)), address(this), _params(100, 10_000))));
        for (uint256 i; i < PROVIDERS; ++i) {
            address p = _provider(i);
            token.mint(p, STAKE);
            vm.startPrank(p);
            market.registerProvider(hex"0024", new string[](0), 0);
            token.approve(address(market), STAKE);
            market.stake(STAKE);
            vm.stopPrank();
        }
    }

    function testFuzz_cancelRefundsExactlyTheEscrow(uint8 kSeed, uint8 mSeed, uint256 maxPrice, uint16 feeSeed) public {
        uint8 k = uint8(1 + kSeed % 16);
        uint8 m = uint8(k / 2 + 1 + mSeed % (k - k / 2));
        maxPrice = 1 + maxPrice % type(uint80).max;
        market.setParameters(_params(feeSeed % 501, 10_000));
        uint256 id = _post(k, m, maxPrice, 600);
        uint256 escrow = market.escrowOf(id);
        Check.eq(escrow, k * maxPrice + k * maxPrice * (feeSeed % 501) / 10_000, "escrow formula");
        vm.startPrank(REQUESTER);
        market.cancel(id);
        vm.stopPrank();
        Check.eq(market.withdrawable(REQUESTER), escrow, "refund");
        Check.eq(token.balanceOf(address(market)), PROVIDERS * STAKE + escrow, "market balance");
    }

    function testFuzz_onlyWellFormedCidsAreAccepted(bytes calldata cid) public {
        bool wellFormed = cid.length == 36 && cid[0] == 0x01 && (cid[1] == 0x55 || cid[1] == 0x70) && cid[2] == 0x12
            && cid[3] == 0x20;
        JobParams memory p = _job(1, 1, 1e18, 0);
        p.manifestCid = cid;
        token.mint(REQUESTER, 2e18);
        vm.startPrank(REQUESTER);
        token.approve(address(market), 2e18);
        if (!wellFormed) vm.expectRevert(abi.encodeWithSelector(IMarketEvents.InvalidCid.selector, cid));
        market.postJob(p);
        vm.stopPrank();
    }

    function testFuzz_aRevealMustMatchItsOwnCommitment(bytes32 digest, bytes32 salt, bytes32 otherSalt) public {
        vm.assume(salt != otherSalt);
        uint256 id = _post(2, 2, 1e18, 0);
        address a = _provider(0);
        address b = _provider(1);
        _bid(id, a, 1e18);
        _bid(id, b, 1e18);
        _commit(id, a, _commitment(id, a, digest, salt));
        // b copies a's commitment: it can never open it, with a's salt or any other.
        _commit(id, b, _commitment(id, a, digest, salt));
        bytes memory cid = abi.encodePacked(hex"01551220", digest);
        vm.startPrank(a);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMarketEvents.CommitmentMismatch.selector, id, a, _commitment(id, a, digest, salt), _commitment(id, a, digest, otherSalt)
            )
        );
        market.reveal(id, cid, otherSalt, cid);
        market.reveal(id, cid, salt, cid);
        vm.stopPrank();
        vm.startPrank(b);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMarketEvents.CommitmentMismatch.selector, id, b, _commitment(id, a, digest, salt), _commitment(id, b, digest, salt)
            )
        );
        market.reveal(id, cid, salt, cid);
        vm.stopPrank();
    }

    function testFuzz_theDrawTakesKFromThePoolAndFreesTheRest(uint80[6] memory prices, bytes32 randomness) public {
        uint256 id = _post(3, 2, type(uint80).max, 600);
        for (uint256 i; i < PROVIDERS; ++i) {
            vm.startPrank(_provider(i));
            market.bid(id, 1 + uint256(prices[i]) % (type(uint80).max - 1));
            vm.stopPrank();
        }
        Check.eq(market.getReplicas(id).length, PROVIDERS, "every bid is in the pool until the draw");
        vm.warp(block.timestamp + 600);
        vm.prevrandao(randomness);
        market.award(id);
        ReplicaView[] memory book = market.getReplicas(id);
        Check.eq(book.length, 3, "k replicas drawn");
        for (uint256 i; i < PROVIDERS; ++i) {
            uint256 times;
            for (uint256 j; j < book.length; ++j) {
                if (book[j].provider == _provider(i)) ++times;
            }
            Check.ok(times <= 1, "a provider drawn twice");
            uint256 locked = market.getProvider(_provider(i)).locked;
            if (times == 1) Check.eq(locked, type(uint80).max, "a drawn bid keeps the job's collateral (max price at 100 %), whatever its price");
            else Check.eq(locked, 0, "a bid not drawn locks nothing");
        }
    }

    function testFuzz_drawnBidsKeepTheirOwnCommitments(uint80[6] memory prices, uint8 commitBits, bytes32 randomness)
        public
    {
        uint256 id = _post(3, 2, type(uint80).max, 600);
        uint256 pooled;
        for (uint256 i; i < PROVIDERS; ++i) {
            uint256 price = 1 + uint256(prices[i]) % (type(uint80).max - 1);
            vm.startPrank(_provider(i));
            if (commitBits & (1 << i) != 0) {
                market.bidAndCommit(id, price, _commitmentOf(id, i));
                ++pooled;
            } else {
                market.bid(id, price);
            }
            vm.stopPrank();
        }
        Check.eq(market.getJob(id).commits, pooled, "commits counts the committed bids in the pool");
        vm.warp(block.timestamp + 600);
        vm.prevrandao(randomness);
        market.award(id);
        // Whoever was drawn, each replica carries exactly its own bidder's commitment, or none.
        ReplicaView[] memory book = market.getReplicas(id);
        uint256 committed;
        for (uint256 j; j < book.length; ++j) {
            uint256 i = uint160(book[j].provider) - 0x2000;
            bool carries = commitBits & (1 << i) != 0;
            Check.ok(book[j].committed == carries, "a bid's commit flag moved to another bid");
            Check.ok(book[j].commitmentOrDigest == (carries ? _commitmentOf(id, i) : bytes32(0)), "a bid carries another's commitment");
            if (carries) ++committed;
        }
        Check.eq(market.getJob(id).commits, committed, "commits counts the drawn committed replicas");
        JobState expected = committed == book.length ? JobState.Revealing : JobState.Committing;
        Check.ok(market.getJob(id).state == expected, "the award opens reveal exactly when every winner committed");
    }

    /// @dev The award riding in a reveal (every pool entry committed): whoever of the pool sends it and
    /// whatever the randomness, the sender's result counts exactly when it was drawn, the undrawn are
    /// unlocked, and the drawn replicas' reveals settle the job with every lock released.
    function testFuzz_aRevealDrawsAFullyCommittedPoolAndCountsOnlyADrawnSender(uint8 senderSeed, bytes32 randomness)
        public
    {
        bytes32 digest = keccak256("result");
        uint256 id = _post(3, 2, 1e18, 600);
        for (uint256 i; i < PROVIDERS; ++i) {
            vm.startPrank(_provider(i));
            market.bidAndCommit(id, 1e18, _commitment(id, _provider(i), digest, bytes32(i)));
            vm.stopPrank();
        }
        vm.warp(block.timestamp + 600);
        vm.prevrandao(randomness);
        uint256 sender = senderSeed % PROVIDERS;
        bytes memory cid = abi.encodePacked(hex"01551220", digest);
        vm.startPrank(_provider(sender));
        market.reveal(id, cid, bytes32(sender), cid);
        vm.stopPrank();
        ReplicaView[] memory book = market.getReplicas(id);
        Check.eq(book.length, 3, "the reveal drew three replicas");
        Check.ok(market.getJob(id).state == JobState.Revealing, "the draw opened the reveal phase");
        bool senderDrawn;
        for (uint256 j; j < 3; ++j) {
            bool isSender = book[j].provider == _provider(sender);
            senderDrawn = senderDrawn || isSender;
            Check.ok(book[j].revealed == isSender, "only the sender's reveal counts, and only if drawn");
        }
        Check.eq(market.getJob(id).reveals, senderDrawn ? 1 : 0, "reveals counts the sender exactly when it was drawn");
        for (uint256 i; i < PROVIDERS; ++i) {
            bool drawn;
            for (uint256 j; j < 3; ++j) {
                drawn = drawn || book[j].provider == _provider(i);
            }
            Check.eq(market.getProvider(_provider(i)).locked, drawn ? 1e18 : 0, "the undrawn are unlocked, the drawn keep one collateral");
        }
        for (uint256 j; j < 3 && market.getJob(id).state == JobState.Revealing; ++j) {
            if (book[j].revealed) continue;
            uint256 i = uint160(book[j].provider) - 0x2000;
            vm.startPrank(book[j].provider);
            market.reveal(id, cid, bytes32(i), cid);
            vm.stopPrank();
        }
        Check.ok(market.getJob(id).state == JobState.Succeeded, "the drawn replicas' reveals settle the job");
        for (uint256 i; i < PROVIDERS; ++i) {
            Check.eq(market.getProvider(_provider(i)).locked, 0, "settlement releases every lock");
        }
    }

    function testFuzz_settlementPaysBidsChargesFeeRefundsTheRest(uint80[3] memory prices, uint16 feeSeed, uint16 ratioSeed, bool dissent)
        public
    {
        uint256 fee = feeSeed % 501;
        uint256 ratio = 1_000 + ratioSeed % 49_001;
        market.setParameters(_params(fee, ratio));
        uint256 maxPrice = 1e24;
        uint256 id = _post(3, 2, maxPrice, 0);
        uint256 escrow = market.escrowOf(id);
        bytes32 good = keccak256("good");
        for (uint256 i; i < 3; ++i) {
            _bid(id, _provider(i), 1 + uint256(prices[i]) % maxPrice);
        }
        for (uint256 i; i < 3; ++i) {
            bytes32 digest = dissent && i == 2 ? keccak256("bad") : good;
            _commit(id, _provider(i), _commitment(id, _provider(i), digest, bytes32(i)));
        }
        for (uint256 i; i < 3; ++i) {
            bytes32 digest = dissent && i == 2 ? keccak256("bad") : good;
            bytes memory cid = abi.encodePacked(hex"01701220", digest);
            vm.startPrank(_provider(i));
            market.reveal(id, cid, bytes32(i), cid);
            vm.stopPrank();
        }
        Check.ok(market.getJob(id).state == JobState.Succeeded, "succeeded");
        uint256 paid;
        uint256 slashed;
        for (uint256 i; i < 3; ++i) {
            uint256 price = 1 + uint256(prices[i]) % maxPrice;
            if (dissent && i == 2) slashed = (maxPrice * ratio + 9_999) / 10_000;
            else paid += price;
            Check.eq(market.getProvider(_provider(i)).locked, 0, "collateral released or slashed");
        }
        uint256 protocolFee = paid * fee / 10_000;
        Check.eq(market.withdrawable(TREASURY), protocolFee + slashed, "fee and slashed collateral to the treasury");
        Check.eq(market.withdrawable(REQUESTER), escrow - paid - protocolFee, "refund only: slashing never pays the requester");
        Check.eq(token.balanceOf(address(market)), PROVIDERS * STAKE + escrow, "nothing created or lost");
    }

    /// A unanimous k = 3 job allowing 6 replicas, with any pattern of right and wrong reveals over its
    /// rounds: it escalates exactly when a round leaves no consensus, settles on a digest with the quorum
    /// and a majority of all reveals (or NoConsensus at the cap), and every token is accounted for, the
    /// requester paying at most its first k replicas' price and fee.
    function testFuzz_anEscalatedJobJudgesEveryRoundAndConservesFunds(uint80[6] memory prices, uint8 wrongMask, uint16 feeSeed)
        public
    {
        uint256 fee = feeSeed % 501;
        market.setParameters(_params(fee, 10_000));
        uint256 maxPrice = 1e24;
        JobParams memory p = _job(3, 3, maxPrice, 0);
        p.maxReplicas = 6;
        token.mint(REQUESTER, 12 * maxPrice);
        vm.startPrank(REQUESTER);
        token.approve(address(market), 12 * maxPrice);
        uint256 id = market.postJob(p);
        vm.stopPrank();
        uint256 escrow = market.escrowOf(id);
        Check.eq(escrow, 6 * maxPrice + 6 * maxPrice * fee / 10_000, "the escrow covers the cap");
        uint256 wrong;
        for (uint256 round; round < 2; ++round) {
            for (uint256 i = 3 * round; i < 3 * round + 3; ++i) {
                bytes32 digest = wrongMask & (1 << i) != 0 ? keccak256("bad") : keccak256("good");
                vm.startPrank(_provider(i));
                market.bidAndCommit(id, 1 + uint256(prices[i]) % maxPrice, _commitment(id, _provider(i), digest, bytes32(i)));
                vm.stopPrank();
            }
            for (uint256 i = 3 * round; i < 3 * round + 3; ++i) {
                bool bad = wrongMask & (1 << i) != 0;
                if (bad) ++wrong;
                bytes memory cid = abi.encodePacked(hex"01701220", bad ? keccak256("bad") : keccak256("good"));
                vm.startPrank(_provider(i));
                market.reveal(id, cid, bytes32(i), cid);
                vm.stopPrank();
            }
            JobView memory j = market.getJob(id);
            // A unanimous round (3 of 3, a majority) settles; any dissent in the first escalates.
            bool consensus = (wrong >= 3 && 2 * wrong > 3 * (round + 1)) || (3 * (round + 1) - wrong >= 3 && 2 * wrong < 3 * (round + 1));
            if (round == 0 && !consensus) {
                Check.ok(j.state == JobState.Open && j.round == 1, "a round without a consensus escalates");
                continue;
            }
            Check.ok(j.state == (consensus ? JobState.Succeeded : JobState.NoConsensus), "settled on the majority, or NoConsensus at the cap");
            break;
        }
        uint256 credited = market.withdrawable(REQUESTER) + market.withdrawable(TREASURY);
        uint256 staked;
        uint256 earned;
        for (uint256 i; i < PROVIDERS; ++i) {
            staked += market.getProvider(_provider(i)).stake;
            earned += market.getProvider(_provider(i)).earnings;
            Check.eq(market.getProvider(_provider(i)).locked, 0, "every collateral released or slashed");
        }
        Check.eq(token.balanceOf(address(market)), staked + earned + credited, "nothing created or lost");
        Check.eq(PROVIDERS * STAKE + escrow, staked + earned + credited, "escrow and stake only moved between accounts");
        // The requester spent escrow - refund - restitution: at most what it paid (prices and fee), and,
        // restitution being no profit, at least what its agreeing first-round replicas cost with their fee.
        uint256 spent = escrow - market.withdrawable(REQUESTER);
        Check.ok(spent <= earned + earned * fee / 10_000, "the requester pays no more than the replicas it paid and their fee");
        if (market.getJob(id).state == JobState.Succeeded) {
            bool wrongWon = wrong >= 3;
            uint256 firstAgreeing;
            for (uint256 i; i < 3; ++i) {
                if ((wrongMask & (1 << i) != 0) == wrongWon) firstAgreeing += 1 + uint256(prices[i]) % maxPrice;
            }
            Check.ok(spent >= firstAgreeing + firstAgreeing * fee / 10_000, "restitution never repays more than the rounds beyond k cost");
        }
    }

    function testFuzz_collateralIsTheJobsWhateverTheBid(uint256 maxPrice, uint256 price, uint16 ratioSeed) public {
        uint256 ratio = 1_000 + ratioSeed % 49_001;
        market.setParameters(_params(100, ratio));
        maxPrice = 1 + maxPrice % type(uint80).max;
        price = 1 + price % maxPrice;
        uint256 id = _post(2, 2, maxPrice, 600);
        _bid(id, _provider(0), price);
        uint256 collateral = (maxPrice * ratio + 9_999) / 10_000;
        Check.ok(collateral != 0, "collateral is never zero");
        Check.eq(market.getProvider(_provider(0)).locked, collateral, "the bid locked ceil(maxPrice * ratio)");
        Check.eq(market.getReplicas(id)[0].collateral, collateral, "the view reports what was locked");
        vm.startPrank(REQUESTER);
        market.cancel(id);
        vm.stopPrank();
        Check.eq(market.getProvider(_provider(0)).locked, 0, "cancel unlocks exactly what the bid locked");
    }

    // ------------------------------------------------------------------ helpers

    function _params(uint256 feeBps, uint256 ratioBps) internal pure returns (Parameters memory) {
        return Parameters(1e18, 1 days, uint16(feeBps), uint16(ratioBps), 1 hours, TREASURY, 0, 0);
    }

    function _provider(uint256 i) internal pure returns (address) {
        return address(uint160(0x2000 + i));
    }

    function _job(uint8 k, uint8 m, uint256 maxPrice, uint32 bidWindow) internal pure returns (JobParams memory) {
        return JobParams({
            manifestCid: abi.encodePacked(hex"01551220", keccak256("manifest")),
            replicas: k,
            quorum: m,
            maxReplicas: 0,
            maxPrice: maxPrice,
            bidWindow: bidWindow,
            commitWindow: 1 hours,
            revealWindow: 1 hours,
            minReputation: 0
        });
    }

    function _post(uint8 k, uint8 m, uint256 maxPrice, uint32 bidWindow) internal returns (uint256 id) {
        uint256 escrow = k * maxPrice * 2;
        token.mint(REQUESTER, escrow);
        vm.startPrank(REQUESTER);
        token.approve(address(market), escrow);
        id = market.postJob(_job(k, m, maxPrice, bidWindow));
        vm.stopPrank();
    }

    function _bid(uint256 id, address p, uint256 price) internal {
        vm.startPrank(p);
        market.bid(id, price);
        vm.stopPrank();
    }

    /// @dev The commitment formula reveal checks (docs/PROTOCOL.md, Commit).
    function _commitment(uint256 id, address p, bytes32 digest, bytes32 salt) internal pure returns (bytes32) {
        return keccak256(abi.encode(id, p, digest, salt));
    }

    function _commitmentOf(uint256 id, uint256 i) internal pure returns (bytes32) {
        return keccak256(abi.encode(id, _provider(i), keccak256(abi.encode(i)), bytes32(i)));
    }

    function _commit(uint256 id, address p, bytes32 commitment) internal {
        vm.startPrank(p);
        market.commit(id, commitment);
        vm.stopPrank();
    }
}
