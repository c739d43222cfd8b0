// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A hostile token for tests: once armed, every transfer first calls `target` with `data`
/// (say, `withdraw()` on the market) and bubbles up that call's revert, the way a token with
/// transfer hooks (ERC-777 style) hands control to an attacker in the middle of a transfer.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public data;

    constructor() ERC20("Reentrant", "RE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
    }

    function _update(address from, address to, uint256 value) internal override {
        address t = target;
        if (t != address(0)) {
            target = address(0); // one re-entry per arming, so the attack cannot loop
            (bool ok, bytes memory ret) = t.call(data);
            if (!ok) {
                assembly {
                    revert(add(ret, 32), mload(ret))
                }
            }
        }
        super._update(from, to, value);
    }
}
