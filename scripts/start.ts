// `npm start`: a local Accord marketplace on 127.0.0.1. Ctrl-C stops everything it started.
import { parseArgs } from "node:util";
import { formatUnits } from "viem";
import { DEV_ACCOUNTS, DEV_ROLES } from "./devnet/accounts.ts";
import { DEFAULT_RPC_PORT, startChain } from "./devnet/chain.ts";
import { deployAccord, writeDeployment } from "./devnet/deploy.ts";

const { values } = parseArgs({
  options: {
    "rpc-port": { type: "string", default: String(DEFAULT_RPC_PORT) },
    "token-decimals": { type: "string", default: "6" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(`Usage: npm start -- [--rpc-port ${DEFAULT_RPC_PORT}] [--token-decimals 6]

Starts a Hardhat chain on 127.0.0.1, deploys the Accord contracts and a test token with Hardhat
Ignition, gives every development account test tokens, and writes the addresses to
deployments/31337.json, where the client, the provider node and the web app find them.`);
  process.exit(0);
}

const decimals = Number(values["token-decimals"]);
const stops: Array<() => Promise<void>> = [];
let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping the marketplace…");
  for (const stop of stops.reverse()) await stop().catch((err) => console.error(err));
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  console.log("Starting the local chain…");
  const chain = await startChain({ port: Number(values["rpc-port"]) });
  stops.push(chain.stop);
  chain.process.on("exit", (code) => {
    if (!stopping) {
      console.error(`The chain exited unexpectedly (code ${code}); stopping.`);
      void shutdown(1);
    }
  });

  console.log("Deploying the contracts with Hardhat Ignition…");
  const deployment = await deployAccord({ rpcUrl: chain.rpcUrl, tokenDecimals: decimals });
  const file = writeDeployment(deployment);

  const fund = formatUnits(1_000_000n * 10n ** BigInt(decimals), decimals);
  const row = (role: string, i: number) => `  ${role.padEnd(10)} ${DEV_ACCOUNTS[i]!.address}  (dev account #${i})`;
  console.log(`
Accord is running locally.

  chain       ${chain.rpcUrl}  (chain id ${deployment.chainId})
  JobMarket   ${deployment.jobMarket}
  token       ${deployment.token}  (tUSD, ${decimals} decimals)
  addresses   ${file}

Development accounts (Hardhat's well-known keys; ${fund} tUSD each):
${row("deployer", DEV_ROLES.deployer)}
${DEV_ROLES.requesters.map((i) => row("requester", i)).join("\n")}
${DEV_ROLES.providers.slice(0, 3).map((i) => row("provider", i)).join("\n")}

Press Ctrl-C to stop.`);
} catch (err) {
  console.error(`Could not start the marketplace: ${(err as Error).message}`);
  await shutdown(1);
}
