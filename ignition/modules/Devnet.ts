import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { marketParameters } from "./parameters.ts";

/**
 * A local marketplace: a fresh TestToken (owner-minted, permit-capable) and a JobMarket settling in it.
 * Parameters: tokenName, tokenSymbol, tokenDecimals, plus the market's (parameters.ts).
 */
export default buildModule("AccordDevnet", (m) => {
  const deployer = m.getAccount(0);
  const token = m.contract("TestToken", [
    m.getParameter("tokenName", "Accord Test Dollar"),
    m.getParameter("tokenSymbol", "tUSD"),
    m.getParameter("tokenDecimals", 6),
    deployer,
  ]);
  const jobMarket = m.contract("JobMarket", [token, m.getParameter("owner", deployer), marketParameters(m, deployer)]);
  return { token, jobMarket };
});
