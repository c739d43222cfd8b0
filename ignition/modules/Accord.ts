import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Accord on a test network: a TestToken and a JobMarket settling in it. Every constructor argument
 * is a module parameter (amounts in the token's smallest unit; see docs/PROTOCOL.md, "## Contracts"):
 * tokenName, tokenSymbol, tokenDecimals, owner (token and market; default the deployer), minStake,
 * unbondingDelay, protocolFeeBps, collateralRatioBps, fillTimeout, treasury (default the deployer).
 */
export default buildModule("Accord", (m) => {
  const deployer = m.getAccount(0);
  const owner = m.getParameter("owner", deployer);
  const token = m.contract("TestToken", [
    m.getParameter("tokenName", "Accord Test Dollar"),
    m.getParameter("tokenSymbol", "tUSD"),
    m.getParameter("tokenDecimals", 6),
    owner,
  ]);
  const jobMarket = m.contract("JobMarket", [
    token,
    owner,
    {
      minStake: m.getParameter("minStake", 10_000_000n),
      unbondingDelay: m.getParameter("unbondingDelay", 86_400),
      protocolFeeBps: m.getParameter("protocolFeeBps", 100),
      collateralRatioBps: m.getParameter("collateralRatioBps", 10_000),
      fillTimeout: m.getParameter("fillTimeout", 600),
      treasury: m.getParameter("treasury", deployer),
    },
  ]);
  return { token, jobMarket };
});
