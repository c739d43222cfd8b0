import { Command, CommanderError, Option } from "commander";
import type { AccordClient } from "../client.ts";
import { registerAccount } from "./commands/account.ts";
import type { Run } from "./commands/context.ts";
import { registerJob } from "./commands/job.ts";
import { registerRun } from "./commands/run.ts";
import type { GlobalFlags } from "./config.ts";
import { EXIT } from "./exit.ts";

/**
 * `accord`: the requester CLI. Configuration comes from flags, then the environment, then the
 * config file (~/.config/accord/config.json), by the library's one rule set: CLI_SETTINGS in
 * config.ts lists every setting with its ACCORD_* variable; the key comes from a key file or
 * ACCORD_PRIVATE_KEY, never from a flag or the config file.
 *
 * Commands load lazily: this module and the ones it imports statically hold only flags and help
 * (commander and nothing else), and each command's code is imported when that command runs, so
 * `accord --help` loads no viem, and `accord job status` no libp2p or sandbox.
 */
export function buildProgram(onDone: (code: number) => void): Command {
  const program = new Command("accord")
    .description("Accord requester CLI: run WebAssembly jobs on the Accord market and get verified results")
    .option("-c, --config <file>", "config file (default ~/.config/accord/config.json; env ACCORD_CONFIG)")
    .option("--rpc-url <url>", "JSON-RPC endpoint (env ACCORD_RPC_URL; default http://127.0.0.1:8545)")
    .option("--chain-id <id>", "chain id (default: asked from the RPC)")
    .option("--market <address>", "JobMarket address (default: deployments/<chain id>.json)")
    .option("--key-file <file>", "file holding the account's private key (env ACCORD_KEY_FILE, or ACCORD_PRIVATE_KEY)")
    .option("--data-dir <dir>", "content node data folder (default: beside the config file)")
    .option("--json", "print one JSON document on stdout instead of text")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  program.addOption(new Option("--private-key <hex>").hideHelp().argParser(() => {
    throw new CommanderError(EXIT.USAGE, "accord.privateKeyFlag", "error: --private-key is not accepted: a key on the command line ends up in shell history and process lists. Use --key-file or ACCORD_PRIVATE_KEY.");
  }));

  const opened: AccordClient[] = [];
  const run: Run =
    (load) =>
    async (...args: unknown[]) => {
      const cmd = args.at(-1) as Command;
      const flags = cmd.optsWithGlobals() as GlobalFlags;
      const controller = new AbortController();
      const onSigint = () => controller.abort(new Error("interrupted"));
      process.once("SIGINT", onSigint);
      let code: number = EXIT.OK;
      try {
        const [{ makeContext }, { default: handler }] = await Promise.all([import("./commands/context.ts"), load()]);
        const ctx = makeContext(flags, controller.signal, opened);
        try {
          await handler(ctx, ...args.slice(0, -1));
        } catch (err) {
          if (controller.signal.aborted) {
            ctx.out.step("interrupted; anything already posted goes on on-chain (`accord job status <id>`)");
            code = EXIT.INTERRUPTED;
          } else {
            ctx.out.error(err);
            code = (await import("./exitCodes.ts")).exitCodeFor(err);
          }
        }
      } finally {
        process.removeListener("SIGINT", onSigint);
        await Promise.allSettled(opened.map((c) => c.close()));
      }
      onDone(code);
    };
  registerJob(program, run);
  registerAccount(program, run);
  registerRun(program, run);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code: number | undefined;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; everything else commander refuses is a usage error.
      if (err.code === "commander.helpDisplayed" || err.code === "commander.help" || err.code === "commander.version") return EXIT.OK;
      if (err.code === "accord.privateKeyFlag") process.stderr.write(`${err.message}\n`);
      return EXIT.USAGE;
    }
    (await import("./output.ts")).createOutput(false).error(err);
    return EXIT.ERROR;
  }
  return code ?? EXIT.OK;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    // Exit explicitly: libp2p and HTTP keep-alive sockets may hold the loop open after close().
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`error: ${err?.stack ?? err}\n`);
      process.exit(EXIT.ERROR);
    },
  );
}
