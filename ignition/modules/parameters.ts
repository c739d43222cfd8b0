import type { IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";

/**
 * The owner parameters of a JobMarket as Ignition module parameters, with the devnet's defaults
 * (see docs/PROTOCOL.md, "Parameters and bounds"). Amounts are in the token's smallest unit.
 */
export function marketParameters(m: IgnitionModuleBuilder, deployer: ReturnType<IgnitionModuleBuilder["getAccount"]>) {
  return {
    minStake: m.getParameter("minStake", 10_000_000n),
    unbondingDelay: m.getParameter("unbondingDelay", 86_400),
    protocolFeeBps: m.getParameter("protocolFeeBps", 100),
    collateralRatioBps: m.getParameter("collateralRatioBps", 10_000),
    fillTimeout: m.getParameter("fillTimeout", 600),
    treasury: m.getParameter("treasury", deployer),
    // Local chains: a short pool and no seed delay (their operator picks every block's randomness
    // anyway). On a public chain pass larger values: docs/PROTOCOL.md, "Selection".
    poolWindow: m.getParameter("poolWindow", 2),
    seedDelay: m.getParameter("seedDelay", 0),
  };
}
