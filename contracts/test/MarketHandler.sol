// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {IMarketCore} from "../interfaces/IMarketCore.sol";
import {TestToken} from "../mocks/TestToken.sol";
import {JobParams, JobState, JobView, ProviderView, ReplicaView} from "../types/MarketTypes.sol";
import {vm} from "./Vm.sol";

/// @notice Drives 3 requesters and 5 providers through random market operations and time jumps
/// for the invariant suite. Calls that the market rejects are swallowed (the market's job); what the
/// handler records are breaches of the properties it can only see from inside a call sequence:
/// a state moving backwards, a job settling without paid + fee + refunded == escrow.
contract MarketHandler {
    uint256 internal constant REQUESTERS = 3;
    uint256 internal constant PROVIDERS = 5;
    uint256 internal constant MAX_JOBS = 64;
    uint256 internal constant MAX_PRICE_UNITS = 1e21;
    uint256 internal constant INITIAL_STAKE_UNITS = 1e24;

    struct Ghost {
        uint256 id;
        address requester;
        uint256 escrow;
        JobState last;
        uint8 round; // an escalation moves the state back to Open, in a later round
        bool terminal;
    }

    IJobMarket internal immutable market;
    TestToken internal immutable token;
    address internal immutable treasury;
    address internal immutable suite;
    address[REQUESTERS] internal requesters;
    address[PROVIDERS] internal providers;
    Ghost[] internal _jobs;
    /// Result each provider committed to, per job (what it will reveal).
    mapping(uint256 jobId => mapping(address provider => bytes32 digest)) internal _committed;

    /// Our own clock: under via-IR the optimizer may reuse one TIMESTAMP read across a call, so
    /// `block.timestamp + x` after a warp in the same call would not move.
    uint256 internal clock;
    uint256 public violations;
    string public lastViolation;
    uint256 public settledJobs;

    constructor(IJobMarket market_, TestToken token_, address treasury_) {
        market = market_;
        token = token_;
        treasury = treasury_;
        suite = msg.sender;
        clock = block.timestamp;
        for (uint256 i; i < REQUESTERS; ++i) {
            requesters[i] = address(uint160(0x1000 + i));
        }
        for (uint256 i; i < PROVIDERS; ++i) {
            providers[i] = address(uint160(0x2000 + i));
        }
    }

    /// @dev Separate from the constructor: the handler must own the token before it can mint stake.
    function registerAll() external {
        if (msg.sender != suite) return; // the fuzzer calls every public function; this one is setup only
        for (uint256 i; i < PROVIDERS; ++i) {
            address p = providers[i];
            token.mint(p, INITIAL_STAKE_UNITS);
            vm.startPrank(p);
            market.registerProvider(abi.encodePacked(bytes2(0x0024), p), new string[](0), 1);
            token.approve(address(market), type(uint256).max);
            market.stake(INITIAL_STAKE_UNITS);
            vm.stopPrank();
        }
    }

    // ------------------------------------------------------------------ actions

    function post(uint256 r, uint256 kSeed, uint256 mSeed, uint256 priceSeed, uint256 windowSeed) external {
        if (_jobs.length >= MAX_JOBS) return;
        // One post in four comes from a provider, which may then take its own job (self-dealing).
        address requester = r % 4 == 3 ? providers[(r >> 2) % PROVIDERS] : requesters[r % REQUESTERS];
        uint8 k = uint8(1 + kSeed % PROVIDERS);
        uint8 q = uint8(k / 2 + 1 + mSeed % (k - k / 2));
        uint256 maxPrice = 1 + priceSeed % MAX_PRICE_UNITS;
        uint32 bidWindow = windowSeed % 3 == 0 ? 0 : uint32(60 + windowSeed % 3600);
        // Half the jobs may escalate, by up to two replicas more than k (0: the default, no escalation).
        uint8 cap = (windowSeed >> 28) % 2 == 0 ? 0 : uint8(k + (windowSeed >> 32) % 3);
        JobParams memory p = JobParams({
            manifestCid: abi.encodePacked(hex"01551220", keccak256(abi.encode(_jobs.length))),
            replicas: k,
            quorum: q,
            maxReplicas: cap,
            maxPrice: maxPrice,
            bidWindow: bidWindow,
            commitWindow: uint32(60 + (windowSeed >> 8) % 3600),
            revealWindow: uint32(60 + (windowSeed >> 16) % 3600),
            minReputation: uint16((windowSeed >> 24) % 4 == 0 ? 4_000 : 0)
        });
        uint256 fee = market.parameters().protocolFeeBps;
        uint256 replicas = cap == 0 ? k : cap;
        uint256 escrow = replicas * maxPrice + replicas * maxPrice * fee / 10_000;
        token.mint(requester, escrow);
        vm.startPrank(requester);
        token.approve(address(market), escrow);
        uint256 id = market.postJob(p);
        vm.stopPrank();
        _jobs.push(Ghost({id: id, requester: requester, escrow: escrow, last: JobState.Open, round: 0, terminal: false}));
        _sync();
    }

    function bid(uint256 jobSeed, uint256 pSeed, uint256 priceSeed) external {
        (bool found, uint256 g) = _pick(jobSeed);
        if (!found) return;
        uint256 id = _jobs[g].id;
        try market.getJob(id) returns (JobView memory j) {
            uint256 price = 1 + priceSeed % j.maxPrice;
            _act(g, providers[pSeed % PROVIDERS], abi.encodeCall(IMarketCore.bid, (id, price)));
        } catch {}
    }

    /// @dev A bid carrying its commitment (the fast path): counts as the replica's commit if awarded.
    function bidAndCommit(uint256 jobSeed, uint256 pSeed, uint256 priceSeed, uint256 resultSeed) external {
        (bool found, uint256 g) = _pick(jobSeed);
        if (!found) return;
        uint256 id = _jobs[g].id;
        try market.getJob(id) returns (JobView memory j) {
            uint256 price = 1 + priceSeed % j.maxPrice;
            address p = providers[pSeed % PROVIDERS];
            bytes32 digest = _digest(resultSeed);
            bytes32 commitment = keccak256(abi.encode(id, p, digest, _salt(id, p)));
            if (_act(g, p, abi.encodeCall(IMarketCore.bidAndCommit, (id, price, commitment)))) _committed[id][p] = digest;
        } catch {}
    }

    /// @dev One provider's batch through tryMulticall on one job: a committed bid and a reveal. On a
    /// k = 1 job the bid awards and opens reveal, so the reveal settles it in the same transaction;
    /// otherwise one or both items fail, and a failed item must change nothing.
    function batchBidAndReveal(uint256 jobSeed, uint256 pSeed, uint256 priceSeed, uint256 resultSeed) external {
        (bool found, uint256 g) = _pick(jobSeed);
        if (!found) return;
        uint256 id = _jobs[g].id;
        try market.getJob(id) returns (JobView memory j) {
            address p = providers[pSeed % PROVIDERS];
            bytes32 digest = _committed[id][p];
            bytes32 fresh = _digest(resultSeed);
            bytes[] memory items = new bytes[](2);
            items[0] = abi.encodeCall(
                IMarketCore.bidAndCommit, (id, 1 + priceSeed % j.maxPrice, keccak256(abi.encode(id, p, fresh, _salt(id, p))))
            );
            bytes32 revealed = digest == 0 ? fresh : digest;
            bytes memory cid = abi.encodePacked(hex"01551220", revealed);
            items[1] = abi.encodeCall(IMarketCore.reveal, (id, cid, _salt(id, p), cid));
            (bool ok, bytes memory ret) = _actReturning(g, p, abi.encodeCall(IMarketCore.tryMulticall, (items)));
            if (!ok) {
                _violate("tryMulticall reverted");
                return;
            }
            (bool[] memory oks,) = abi.decode(ret, (bool[], bytes[]));
            if (oks[0]) _committed[id][p] = fresh;
        } catch {}
    }

    function award(uint256 jobSeed) external {
        (bool found, uint256 g) = _pick(jobSeed);
        if (!found) return;
        _act(g, msg.sender, abi.encodeCall(IMarketCore.award, (_jobs[g].id)));
    }

    function commit(uint256 jobSeed, uint256 pSeed, uint256 resultSeed) external {
        (bool found, uint256 g) = _pick(jobSeed);
        if (!found) return;
        uint256 id = _jobs[g].id;
        address p = _replicaOrAnyone(id, pSeed);
        bytes32 digest = _digest(resultSeed);
        bytes32 commitment = keccak256(abi.encode(id, p, digest, _salt(id, p)));
        if (_act(g, p, abi.encodeCall(IMarketCore.commit, (id, commitment)))) _committed[id][p] = digest;
    }

    /// @dev On an Open job past its pool's close whose every entry committed (`bidAndCommit`), a pool
    /// entry's reveal draws the replicas first, so this also exercises the award riding in a reveal.
    function reveal(uint256 jobSeed, uint256 pSeed) external {
        (bool found, uint256 g) = _pick(jobSeed);
        if (!found) return;
        uint256 id = _jobs[g].id;
        address p = _replicaOrAnyone(id, pSeed);
        bytes32 digest = _committed[id][p];
        if (digest == 0) return;
        bytes memory cid = abi.encodePacked(hex"01551220", digest);
        bytes memory sealedCid = abi.encodePacked(hex"01701220", keccak256(cid));
        _act(g, p, abi.encodeCall(IMarketCore.reveal, (id, cid, _salt(id, p), sealedCid)));
    }

    function finalize(uint256 jobSeed) external {
        (bool found, uint256 g) = _pick(jobSeed);
        if (!found) return;
        _act(g, msg.sender, abi.encodeCall(IMarketCore.finalize, (_jobs[g].id)));
    }

    function claim(uint256 jobSeed) external {
        (bool found, uint256 g) = _pick(jobSeed);
        if (!found) return;
        _act(g, msg.sender, abi.encodeCall(IMarketCore.claim, (_jobs[g].id)));
    }

    function cancel(uint256 jobSeed) external {
        (bool found, uint256 g) = _pick(jobSeed);
        if (!found) return;
        _act(g, _jobs[g].requester, abi.encodeCall(IMarketCore.cancel, (_jobs[g].id)));
    }

    function warp(uint256 secondsSeed) external {
        _warp(secondsSeed % 7_200);
    }

    function stake(uint256 pSeed, uint256 amountSeed) external {
        address p = providers[pSeed % PROVIDERS];
        uint256 amount = 1 + amountSeed % INITIAL_STAKE_UNITS;
        token.mint(p, amount);
        vm.startPrank(p);
        try market.stake(amount) {} catch {}
        vm.stopPrank();
        _sync();
    }

    function requestUnstake(uint256 pSeed, uint256 amountSeed) external {
        address p = providers[pSeed % PROVIDERS];
        ProviderView memory v = market.getProvider(p);
        uint256 free = v.stake - v.locked;
        // Sometimes more than free, so the refusal path is exercised too.
        uint256 amount = amountSeed % 4 == 0 ? free + 1 : amountSeed % (free + 1);
        vm.startPrank(p);
        try market.requestUnstake(amount) {} catch {}
        vm.stopPrank();
        _sync();
    }

    function withdrawUnstaked(uint256 pSeed) external {
        vm.startPrank(providers[pSeed % PROVIDERS]);
        try market.withdrawUnstaked() {} catch {}
        vm.stopPrank();
        _sync();
    }

    function withdraw(uint256 actorSeed) external {
        address a = _actor(actorSeed);
        vm.startPrank(a);
        try market.withdraw() {} catch {}
        vm.stopPrank();
        _sync();
    }

    // ------------------------------------------------------------------ views for the suite

    function jobCount() external view returns (uint256) {
        return _jobs.length;
    }

    function jobAt(uint256 i) external view returns (Ghost memory) {
        return _jobs[i];
    }

    /// Every address that can hold credited funds.
    function actors() public view returns (address[] memory out) {
        out = new address[](REQUESTERS + PROVIDERS + 1);
        for (uint256 i; i < REQUESTERS; ++i) {
            out[i] = requesters[i];
        }
        for (uint256 i; i < PROVIDERS; ++i) {
            out[REQUESTERS + i] = providers[i];
        }
        out[REQUESTERS + PROVIDERS] = treasury;
    }

    /// @notice Past every deadline: settles every job with `claim` and takes every token out.
    function drain() external {
        if (msg.sender != suite) return; // only at the end of a run, from afterInvariant
        // Each escalation takes two more claims (open the round, award it or end the job unbid).
        for (uint256 round; round < 8; ++round) {
            _warp(8 days);
            for (uint256 g; g < _jobs.length; ++g) {
                if (!_jobs[g].terminal) _act(g, address(this), abi.encodeCall(IMarketCore.claim, (_jobs[g].id)));
            }
        }
        for (uint256 i; i < PROVIDERS; ++i) {
            ProviderView memory v = market.getProvider(providers[i]);
            if (v.stake > 0) {
                vm.startPrank(providers[i]);
                market.requestUnstake(v.stake); // reverts (and fails the suite) if anything is still locked
                vm.stopPrank();
            }
        }
        _warp(31 days);
        for (uint256 i; i < PROVIDERS; ++i) {
            if (market.getProvider(providers[i]).unbonding > 0) {
                vm.startPrank(providers[i]);
                market.withdrawUnstaked();
                vm.stopPrank();
            }
        }
        address[] memory all = actors();
        for (uint256 i; i < all.length; ++i) {
            if (market.withdrawable(all[i]) > 0) {
                vm.startPrank(all[i]);
                market.withdraw();
                vm.stopPrank();
            }
        }
    }

    // ------------------------------------------------------------------ internal

    function _warp(uint256 delta) internal {
        clock += delta;
        vm.warp(clock);
    }

    function _pick(uint256 seed) internal view returns (bool, uint256) {
        if (_jobs.length == 0) return (false, 0);
        return (true, seed % _jobs.length);
    }

    function _actor(uint256 seed) internal view returns (address) {
        uint256 i = seed % (REQUESTERS + PROVIDERS + 1);
        if (i < REQUESTERS) return requesters[i];
        if (i < REQUESTERS + PROVIDERS) return providers[i - REQUESTERS];
        return treasury;
    }

    /// @dev Mostly one of the job's awarded providers (so commits and reveals land), sometimes anyone.
    function _replicaOrAnyone(uint256 id, uint256 seed) internal view returns (address) {
        if (seed % 8 != 0) {
            try market.getReplicas(id) returns (ReplicaView[] memory book) {
                if (book.length != 0) return book[(seed >> 8) % book.length].provider;
            } catch {}
        }
        return providers[seed % PROVIDERS];
    }

    /// @dev Three possible results, most often the honest one: enough for dissent and no-consensus paths.
    function _digest(uint256 resultSeed) internal pure returns (bytes32) {
        return keccak256(abi.encode("result", resultSeed % 5 < 3 ? 0 : resultSeed % 5));
    }

    function _salt(uint256 id, address p) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", id, p));
    }

    /// @dev Calls the market as `sender` on behalf of job `g`, and if that call ended the job,
    /// checks that the escrow was split exactly: paid + fee + refunded == escrow.
    function _act(uint256 g, address sender, bytes memory data) internal returns (bool ok) {
        (ok,) = _actReturning(g, sender, data);
    }

    function _actReturning(uint256 g, address sender, bytes memory data) internal returns (bool ok, bytes memory ret) {
        Ghost memory job = _jobs[g];
        (uint256 earnings, uint256 staked) = _providerTotals();
        uint256 requesterBefore = _creditOf(job.requester);
        uint256 treasuryBefore = market.withdrawable(treasury);
        ProviderView memory selfBefore = market.getProvider(job.requester);
        vm.startPrank(sender);
        (ok, ret) = address(market).call(data);
        vm.stopPrank();
        if (ok && !job.terminal) {
            try market.getJob(job.id) returns (JobView memory j) {
                if (j.state >= JobState.Succeeded) {
                    (uint256 earningsAfter, uint256 stakedAfter) = _providerTotals();
                    uint256 paid = earningsAfter - earnings;
                    uint256 slashed = staked - stakedAfter;
                    // Slashed collateral goes to the treasury with the fee; the requester gets its refund
                    // and, only after an escalation, restitution out of the slashed collateral.
                    uint256 toTreasury = market.withdrawable(treasury) - treasuryBefore;
                    uint256 refunded = _creditOf(job.requester) - requesterBefore;
                    if (paid + toTreasury + refunded != job.escrow + slashed) {
                        _violate("settlement: paid + fee + refunded != escrow (+ slashed, to treasury or restitution)");
                    }
                    if (j.round == 0 && toTreasury < slashed) _violate("settlement: a job that never escalated restituted its requester");
                    if (j.escrow != 0) _violate("settlement: terminal job still reports escrow");
                    _checkSelfDealing(job.requester, selfBefore);
                    settledJobs++;
                }
            } catch {
                _violate("a live job stopped resolving");
            }
        }
        _sync();
    }

    /// @dev What is credited to `a` apart from a provider's earnings (which `paid` counts).
    function _creditOf(address a) internal view returns (uint256) {
        return market.withdrawable(a) - market.getProvider(a).earnings;
    }

    /// @dev A job its requester took replicas of must leave that provider's reputation as it was.
    function _checkSelfDealing(address requester, ProviderView memory before) internal {
        if (!before.registered) return;
        ProviderView memory a = market.getProvider(requester);
        if (
            a.awarded != before.awarded || a.agreed != before.agreed || a.dissented != before.dissented
                || a.missed != before.missed || a.score != before.score || a.judgedValue != before.judgedValue
        ) _violate("a self-dealt job moved its provider's reputation");
    }

    function _providerTotals() internal view returns (uint256 earnings, uint256 staked) {
        for (uint256 i; i < PROVIDERS; ++i) {
            ProviderView memory v = market.getProvider(providers[i]);
            earnings += v.earnings;
            staked += v.stake + v.unbonding;
        }
    }

    /// @dev States only move forward; ids of finished jobs may stop resolving, live ones never.
    function _sync() internal {
        for (uint256 g; g < _jobs.length; ++g) {
            Ghost storage job = _jobs[g];
            if (job.terminal) continue;
            try market.getJob(job.id) returns (JobView memory j) {
                if (j.state < job.last && !(j.state == JobState.Open && j.round > job.round)) {
                    _violate("a job state moved backwards");
                }
                if (j.round < job.round) _violate("a job's round moved backwards");
                job.last = j.state;
                job.round = j.round;
                if (j.state >= JobState.Succeeded) job.terminal = true;
            } catch {
                _violate("a live job stopped resolving");
            }
        }
    }

    function _violate(string memory what) internal {
        violations++;
        lastViolation = what;
    }
}
