import type { Register } from "./context.ts";

// Flags and help only; each command's code is in account/<command>.ts, loaded when it runs.
export const registerAccount: Register = (program, run) => {
  program
    .command("providers")
    .description("registered providers with reputation, ask price and free stake, best first")
    .option("--all", "include providers without enough stake to bid")
    .action(run(() => import("./account/providers.ts")));

  program
    .command("balance")
    .description("your token balance, what the market holds for you, and your allowance")
    .action(run(() => import("./account/balance.ts")));

  program
    .command("fund")
    .description("development chains: mint test tokens to an account (and send it gas); needs the test token owner's key")
    .argument("<address>", "the account to fund")
    .argument("<amount>", "whole tokens to mint (e.g. 1000 or 0.5)")
    .option("--gas <ether>", "also send this much of the chain's coin for gas (e.g. 1)")
    .action(run(() => import("./account/fund.ts")));

  program
    .command("withdraw")
    .description("send yourself everything the market credited to you (refunds, slashed collateral)")
    .action(run(() => import("./account/withdraw.ts")));
};
