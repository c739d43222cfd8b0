import { Command, Option } from "commander";
import { BaseError } from "../errors.ts";
import { FAULTS } from "../faults.ts";

// Only flags and help are built here; a command's code (commands.ts, start.ts and the chain,
// libp2p and sandbox code behind them) is imported when that command runs, so `--help` and a
// mistyped flag load commander and nothing else.
type Action = (...args: any[]) => Promise<void>;
const lazy =
  (load: () => Promise<Action>): Action =>
  async (...args) =>
    (await load())(...args);
const commands = () => import("./commands.ts");
const initCommand = lazy(async () => (await commands()).initCommand);
const registerCommand = lazy(async () => (await commands()).registerCommand);
const stakeCommand = lazy(async () => (await commands()).stakeCommand);
const unstakeCommand = lazy(async () => (await commands()).unstakeCommand);
const withdrawCommand = lazy(async () => (await commands()).withdrawCommand);
const statusCommand = lazy(async () => (await commands()).statusCommand);
const addressCommand = lazy(async () => (await commands()).addressCommand);
const startCommand = lazy(async () => (await import("./start.ts")).startCommand);
const relayCommand = lazy(async () => (await import("./relay.ts")).relayCommand);

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Options every command shares; each also reads ACCORD_* and the config file. */
function common(cmd: Command): Command {
  return cmd
    .option("--data-dir <dir>", "where the key, config, journal and content live (ACCORD_DATA_DIR; default ~/.accord-provider)")
    .option("--config <file>", "config file (ACCORD_CONFIG; default <data-dir>/config.json)")
    .option("--key-file <file>", "provider key file (ACCORD_KEY_FILE; default <data-dir>/provider.key)")
    .option("--key-from-env", "sign with ACCORD_PRIVATE_KEY instead of the key file (which is used otherwise, even when ACCORD_PRIVATE_KEY is set)")
    .option("--rpc-url <url>", "chain JSON-RPC endpoint (ACCORD_RPC_URL)")
    .option("--market <address>", "JobMarket address (ACCORD_MARKET; default from deployments/<chainId>.json)")
    .option("--json", "print machine-readable JSON on stdout");
}

/** Relaying for nodes behind NAT, and what this node allows them. */
function relaying(cmd: Command): Command {
  return cmd
    .option("--bootstrap <multiaddr>", "peer to join the network through, repeatable (ACCORD_BOOTSTRAP)", collect)
    .option("--relay-limit <name=value>", 'a limit on what this node relays, repeatable, e.g. maxReservations=16 or maxRelayedBytesPerConnection=256MiB (ACCORD_RELAY_LIMIT_<NAME>; "relayLimits" in the config file)', collect)
    .option("--metrics-port <port>", "port of /metrics and /health on 127.0.0.1; 0 any, -1 none (ACCORD_METRICS_PORT; default 9464)");
}

function network(cmd: Command): Command {
  return cmd
    .option("--listen <multiaddr>", "libp2p listen address, repeatable (ACCORD_LISTEN)", collect)
    .option("--announce <multiaddr>", "address to register instead of the listen addresses, repeatable (ACCORD_ANNOUNCE)", collect)
    .option("--ask-price <units>", "advertised price, token units per 1e9 fuel (ACCORD_ASK_PRICE)");
}

export function buildProgram(): Command {
  const program = new Command("accord-provider")
    .description("Accord provider node: bids on WebAssembly jobs, runs them in the deterministic sandbox, proves the results on-chain and gets paid.")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ outputError: (str, write) => write(str) });

  common(program.command("init"))
    .description("create a provider key (mode 0600) and a config file in the data directory")
    .action(initCommand);
  common(program.command("address"))
    .description("print the provider's account address (from its key file), e.g. to fund it")
    .action(addressCommand);
  network(common(program.command("register")))
    .description("register this provider on the JobMarket (peer id, addresses, ask price), or update it if registered; --listen, --announce and --ask-price are kept in the config file for `start`")
    .action(registerCommand);
  network(common(program.command("update")))
    .description("update the on-chain peer id, addresses and ask price")
    .action(registerCommand);
  common(program.command("stake"))
    .argument("<amount>", "tokens to add to the stake, in whole tokens (e.g. 100 or 12.5)")
    .description("approve and add stake (bids lock collateral from free stake)")
    .action(stakeCommand);
  common(program.command("unstake"))
    .argument("<amount>", "tokens of free stake to start unbonding, in whole tokens")
    .description("start unbonding free stake; withdraw it after the market's unbonding delay")
    .action(unstakeCommand);
  common(program.command("withdraw"))
    .description("withdraw credited earnings and any unbonded stake that is ready")
    .action(withdrawCommand);
  common(program.command("status"))
    .description("stake, locked collateral, earnings, reputation and jobs in flight")
    .action(statusCommand);
  relaying(network(common(program.command("start"))))
    .description("run the provider: follow the market, bid, run, commit, reveal, settle, withdraw")
    .option("--relay <mode>", "relay for nodes behind NAT: auto (when this node has a public address), on, off (ACCORD_RELAY; default auto)")
    .option("--workers <n>", "sandbox workers, jobs run at once (ACCORD_WORKERS)")
    .option("--bid-and-commit-max-fuel <fuel>", "run jobs with at most this fuel budget before bidding and bid with the commitment; 0 never (ACCORD_BID_AND_COMMIT_MAX_FUEL; default 100000000)")
    .option("--price-per-giga-fuel <units>", "token units per 1e9 fuel of a job's budget (ACCORD_PRICE_PER_GIGA_FUEL)")
    .option("--price-per-memory-mib <units>", "token units per MiB of job memory (ACCORD_PRICE_PER_MEMORY_MIB)")
    .option("--price-per-input-mib <units>", "token units per MiB of module and inputs (ACCORD_PRICE_PER_INPUT_MIB)")
    .option("--min-price <units>", "lowest bid (ACCORD_MIN_PRICE)")
    .option("--allow-requesters <addresses>", "bid only for these requesters, comma-separated (ACCORD_ALLOW_REQUESTERS)")
    .option("--deny-requesters <addresses>", "never bid for these requesters, comma-separated (ACCORD_DENY_REQUESTERS)")
    .option("--from-block <n>", "first block to follow when the journal has none (ACCORD_FROM_BLOCK)")
    .option("--limit <name=value>", "override a limit of constants.ts, repeatable (ACCORD_LIMIT_<NAME>)", collect)
    .option("--log-level <level>", "trace, debug, info, warn, error (ACCORD_LOG_LEVEL)")
    .addOption(new Option("--fault <kind>", "TESTS AND DEMOS ONLY: misbehave and be slashed (ACCORD_FAULT)").choices([...FAULTS]))
    .action(startCommand);
  relaying(program.command("relay"))
    .description("relay for nodes behind NAT and do nothing else (no chain, no key, no jobs): for a host with a public address that does not compute")
    .option("--data-dir <dir>", "where the config and the relay's peer key live (ACCORD_DATA_DIR; default ~/.accord-provider)")
    .option("--config <file>", "config file (ACCORD_CONFIG; default <data-dir>/config.json)")
    .option("--json", "print machine-readable JSON on stdout")
    .option("--listen <multiaddr>", "libp2p listen address, repeatable (ACCORD_LISTEN; default /ip4/0.0.0.0/tcp/4001)", collect)
    .option("--announce <multiaddr>", "public address to tell peers, repeatable (ACCORD_ANNOUNCE)", collect)
    .option("--log-level <level>", "trace, debug, info, warn, error (ACCORD_LOG_LEVEL)")
    .action(relayCommand);
  return program;
}

/**
 * Prints an error the way a user can act on it: one line, what went wrong and what to do; never a
 * stack trace unless ACCORD_DEBUG is set.
 */
export async function printError(err: unknown, json: boolean): Promise<void> {
  const { failureLine } = await import("./failure.ts");
  if (json) {
    const e = err as BaseError;
    process.stdout.write(`${JSON.stringify({ error: { name: e.name, message: e.shortMessage ?? failureLine(err), details: e.details, fix: e.fix } })}\n`);
  } else {
    process.stderr.write(`Error: ${failureLine(err)}\n`);
  }
  if (process.env.ACCORD_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
}

const argv = process.argv;
try {
  await buildProgram().parseAsync(argv);
} catch (err) {
  await printError(err, argv.includes("--json"));
  // A daemon's libp2p or HTTP handles may still be open after a failed start: end here.
  process.exit(1);
}
