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
    .command("withdraw")
    .description("send yourself everything the market credited to you (refunds, slashed collateral)")
    .action(run(() => import("./account/withdraw.ts")));
};
