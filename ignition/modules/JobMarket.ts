import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { marketParameters } from "./parameters.ts";

/**
 * A JobMarket settling in an existing ERC-20, for any EVM chain. Parameters: token (required, the
 * ERC-20's address), owner (default: the deployer), plus the market's (parameters.ts).
 */
export default buildModule("AccordMarket", (m) => {
  const deployer = m.getAccount(0);
  const token = m.getParameter<string>("token");
  const jobMarket = m.contract("JobMarket", [token, m.getParameter("owner", deployer), marketParameters(m, deployer)]);
  return { jobMarket };
});
