import type { AccordClient } from "../../client.ts";
import { clientFromConfig, resolveConfig, type GlobalFlags } from "../config.ts";
import { createOutput, type Output } from "../output.ts";

/** What every command handler gets: its output, a signal for Ctrl-C, and a lazily built client. */
export type CommandContext = {
  out: Output;
  signal: AbortSignal;
  flags: GlobalFlags;
  client(options?: { withNode?: boolean; withKey?: boolean }): Promise<AccordClient>;
};

export function makeContext(flags: GlobalFlags, signal: AbortSignal, opened: AccordClient[]): CommandContext {
  return {
    out: createOutput(Boolean(flags.json)),
    signal,
    flags,
    async client(options = {}) {
      const c = await clientFromConfig(resolveConfig(flags), { ...options, signal });
      opened.push(c);
      return c;
    },
  };
}
