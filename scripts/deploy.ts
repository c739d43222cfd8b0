// `npm run deploy -- --rpc-url URL [--token ADDRESS | --test-token]`: deploys Accord to any EVM
// chain with Hardhat Ignition and writes deployments/<chainId>.json, where the client, the
// provider node and the web app find it. The key comes from ACCORD_DEPLOYER_KEY (never a flag, so
// it stays out of shell history and process listings).
import { parseArgs } from "node:util";
import { join } from "node:path";
import hre from "hardhat";
import { createPublicClient, erc20Abi, http, isAddress, type Address } from "viem";
import DevnetModule from "../ignition/modules/Devnet.ts";
import MarketModule from "../ignition/modules/JobMarket.ts";
import { writeDeployment } from "./devnet/deploy.ts";

const USAGE = `Usage: ACCORD_DEPLOYER_KEY=0x… npm run deploy -- --rpc-url URL (--token ADDRESS | --test-token) [options]

Deploys the JobMarket with Hardhat Ignition and writes deployments/<chainId>.json.

  --rpc-url URL            JSON-RPC endpoint of the chain (or ACCORD_RPC_URL)
  --token ADDRESS          settle in this existing ERC-20 (e.g. USDC on an L2)
  --test-token             deploy a TestToken (owner-minted, permit-capable) and settle in it
  --parameters FILE        Ignition parameters JSON for the module (owner, minStake, unbondingDelay,
                           protocolFeeBps, collateralRatioBps, fillTimeout, treasury, poolWindow,
                           seedDelay; see docs/PROTOCOL.md "Parameters and bounds"). The defaults
                           suit local chains; on a public chain set poolWindow and seedDelay as
                           docs/PROTOCOL.md "Selection" says (L1: 24 and 24)
  --deployment-id ID       Ignition deployment id (default: accord-<chainId>); re-running resumes it
  --out DIR                where to write <chainId>.json (default: deployments/)`;

const { values } = parseArgs({
  options: {
    "rpc-url": { type: "string" },
    token: { type: "string" },
    "test-token": { type: "boolean" },
    parameters: { type: "string" },
    "deployment-id": { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

function fail(message: string): never {
  console.error(`deploy: ${message}\n\n${USAGE}`);
  process.exit(2);
}

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const rpcUrl = values["rpc-url"] ?? process.env.ACCORD_RPC_URL;
if (!rpcUrl) fail("no RPC URL: pass --rpc-url or set ACCORD_RPC_URL.");
const key = process.env.ACCORD_DEPLOYER_KEY;
if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) fail("ACCORD_DEPLOYER_KEY must hold the deployer's private key as 0x followed by 64 hex digits.");
if (!!values.token === !!values["test-token"]) fail("choose the settlement token: --token ADDRESS or --test-token.");
if (values.token && !isAddress(values.token)) fail(`--token ${values.token} is not an address.`);

const publicClient = createPublicClient({ transport: http(rpcUrl) });
let chainId: number;
try {
  chainId = await publicClient.getChainId();
} catch (err) {
  fail(`cannot reach ${rpcUrl}: ${(err as Error).message.split("\n")[0]}`);
}
const startBlock = Number(await publicClient.getBlockNumber());
if (values.token) {
  // A JobMarket bound to an address without a token would take no deposits and could never be fixed.
  const code = await publicClient.getCode({ address: values.token as Address });
  if (!code || code === "0x") fail(`no contract at --token ${values.token} on chain ${chainId}: check the address and the chain.`);
  const decimals = await publicClient
    .readContract({ address: values.token as Address, abi: erc20Abi, functionName: "decimals" })
    .catch(() => fail(`--token ${values.token} does not answer decimals(): it is not an ERC-20.`));
  console.log(`Settlement token ${values.token} (${decimals} decimals).`);
}
const connection = await hre.network.create({ network: "remote", override: { url: rpcUrl, accounts: [key] } });

const moduleParameters = values.parameters ? join(process.cwd(), values.parameters) : undefined;
const deploymentId = values["deployment-id"] ?? `accord-${chainId}`;
console.log(`Deploying Accord to chain ${chainId} at ${rpcUrl} (Ignition deployment ${deploymentId})…`);

let token: Address;
let jobMarket: Address;
if (values.token) {
  const r = await connection.ignition.deploy(MarketModule, {
    parameters: moduleParameters ?? { AccordMarket: { token: values.token } },
    deploymentId,
  });
  token = values.token as Address;
  jobMarket = r.jobMarket.address;
} else {
  const r = await connection.ignition.deploy(DevnetModule, { parameters: moduleParameters ?? {}, deploymentId });
  token = r.token.address;
  jobMarket = r.jobMarket.address;
}
await connection.close();

const file = writeDeployment({ chainId, jobMarket, token, startBlock, rpcUrl }, values.out);
console.log(`JobMarket ${jobMarket}\ntoken     ${token}\nwritten   ${file}`);
