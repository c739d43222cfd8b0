import type { Command } from "commander";
import type { AccordClient } from "../../client.ts";
import { resolveConfig, type GlobalFlags } from "../config.ts";
import { createOutput, type Output } from "../output.ts";

/** What every command handler gets: its output, a signal for Ctrl-C, and a lazily built client. */
export type CommandContext = {
  out: Output;
  signal: AbortSignal;
  flags: GlobalFlags;
  client(options?: { withNode?: boolean; withKey?: boolean }): Promise<AccordClient>;
};

/** A command's implementation: the default export of its own module, loaded only when that command runs. */
export type Handler = (ctx: CommandContext, ...args: any[]) => Promise<void>;
export type HandlerModule = { default: Handler };
/** Wraps a handler's loader as a commander action (context, Ctrl-C, errors and exit code). */
export type Run = (load: () => Promise<HandlerModule>) => (...args: any[]) => Promise<void>;
export type Register = (program: Command, run: Run) => void;

export function makeContext(flags: GlobalFlags, signal: AbortSignal, opened: AccordClient[]): CommandContext {
  const out = createOutput(Boolean(flags.json));
  return {
    out,
    signal,
    flags,
    async client(options = {}) {
      const cfg = resolveConfig(flags);
      const { clientFromConfig } = await import("../connect.ts");
      const c = await clientFromConfig(cfg, { ...options, signal });
      opened.push(c);
      // Which chain, market and account a command acts on, before it acts: a wrong RPC URL or key
      // shows here, not after a payment.
      out.step(`chain ${c.chain.id} (${cfg.rpcUrl}) · market ${c.deployment.jobMarket}${c.account ? ` · account ${c.account.address}` : ""}`);
      return c;
    },
  };
}
