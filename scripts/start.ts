// `npm start`: the whole Accord marketplace on 127.0.0.1. Ctrl-C stops everything it started.
import { parseArgs } from "node:util";
import { join, relative } from "node:path";
import { CHAIN_ENGINES, DEFAULT_RPC_PORT, type ChainEngine } from "./devnet/chain.ts";
import { DEVNET_DIR, FAULT_KINDS, startDevnet, type Devnet, type FaultKind } from "./devnet/devnet.ts";
import { describeRelayLimits } from "../provider-node/src/net/relay-limits.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "./devnet/accounts.ts";
import { collusionJob, collusionPlan, CollusionPlanError, runCollusionDemo, type CollusionDemoResult, type DemoProvider } from "./devnet/collusion.ts";
import { describeJob, describeOutcome } from "./devnet/collusion-report.ts";

const USAGE = `Usage: npm start -- [options]

Starts a local marketplace: a chain (Hardhat's node, or anvil), the contracts (Hardhat Ignition), provider daemons
with stakes, the web app, and one sample job posted and settled.

  --providers N           provider daemons to run (default 3, or as many as colluders need, at most 8)
  --fault I=KIND[,I=KIND] make provider I (0-based) faulty, to watch the quorum at work;
                          KIND: ${FAULT_KINDS.join(", ")}; repeatable.
                          collude: the colluders all reveal one wrong result and bid on every job;
                          instead of the sample job, demo jobs (unanimous, escalating on dissent)
                          show them slashed: npm start -- --fault 1=collude,2=collude
  --no-web                do not start the web app
  --no-sample             do not post the sample job
  --chain NODE            the chain's node: hardhat (default) or anvil (Foundry's, from npm)
  --block-time S          mine a block every S seconds, several transactions a block as on a
                          live chain (default: a block per transaction, at once)
  --rpc-port PORT         the chain's port (default ${DEFAULT_RPC_PORT})
  --token-decimals N      decimals of the test token (default 6)`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      providers: { type: "string" },
      fault: { type: "string", multiple: true, default: [] },
      "no-web": { type: "boolean" },
      "no-sample": { type: "boolean" },
      chain: { type: "string", default: "hardhat" },
      "block-time": { type: "string" },
      "rpc-port": { type: "string", default: String(DEFAULT_RPC_PORT) },
      "token-decimals": { type: "string", default: "6" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (err) {
  console.error(`npm start: ${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const faults: Record<number, FaultKind> = {};
// Both `--fault 1=collude --fault 2=collude` and the issue's `--fault 1=collude,2=collude`.
for (const f of values.fault.flatMap((v) => v.split(",")).filter((v) => v.trim() !== "")) {
  const m = /^\s*(\d+)=(.+?)\s*$/.exec(f);
  if (!m || !(FAULT_KINDS as readonly string[]).includes(m[2]!)) {
    console.error(`npm start: --fault ${f} is not I=KIND with KIND one of ${FAULT_KINDS.join(", ")}.`);
    process.exit(2);
  }
  faults[Number(m[1])] = m[2] as FaultKind;
}

const colluders = Object.values(faults).filter((f) => f === "collude").length;
// Colluders need honest providers enough to outvote them: by default run that many.
let providerCount = values.providers === undefined ? 3 : Number(values.providers);
if (colluders > 0) {
  try {
    if (values.providers === undefined) providerCount = Math.max(providerCount, collusionJob(colluders).maxReplicas, ...Object.keys(faults).map((i) => Number(i) + 1));
    collusionPlan(providerCount, colluders);
  } catch (err) {
    if (!(err instanceof CollusionPlanError)) throw err;
    console.error(`npm start: ${err.message}`);
    process.exit(2);
  }
}

if (!(CHAIN_ENGINES as readonly string[]).includes(values.chain)) {
  console.error(`npm start: --chain ${values.chain} is not one of ${CHAIN_ENGINES.join(", ")}.`);
  process.exit(2);
}
const blockTime = values["block-time"] === undefined ? undefined : Number(values["block-time"]);
if (blockTime !== undefined && !(Number.isInteger(blockTime) && blockTime > 0)) {
  console.error(`npm start: --block-time ${values["block-time"]} is not a whole number of seconds above 0 (try 2).`);
  process.exit(2);
}

let devnet: Devnet | undefined;
let stopping = false;
const stopDemo = new AbortController();
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  stopDemo.abort();
  console.log("\nStopping the marketplace…");
  await devnet?.stop();
  console.log("Stopped.");
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

const t0 = Date.now();
try {
  devnet = await startDevnet({
    rpcPort: Number(values["rpc-port"]),
    chain: values.chain as ChainEngine,
    blockTime,
    providers: providerCount,
    faults,
    web: !values["no-web"],
    // With colluders the demo jobs take its place: a majority sample job could be theirs to decide.
    sampleJob: !values["no-sample"] && colluders === 0,
    tokenDecimals: Number(values["token-decimals"]),
    log: (line) => console.log(`… ${line}`),
  });
} catch (err) {
  console.error(`\nCould not start the marketplace: ${(err as Error).message}`);
  console.error(`Logs of every process are in ${relative(process.cwd(), DEVNET_DIR)}/logs/.`);
  process.exit(1);
}
if (stopping) process.exit(0);

const d = devnet;
const rel = (p: string) => relative(process.cwd(), p);

let demo: { result: CollusionDemoResult; providers: DemoProvider[] } | undefined;
if (colluders > 0 && !values["no-sample"]) {
  const providers = d.providers.map((p) => ({ index: p.index, address: p.address, colluding: p.fault === "collude" }));
  try {
    const result = await runCollusionDemo({
      rpcUrl: d.chain.rpcUrl,
      deployment: d.deployment,
      requesterKey: DEV_ACCOUNTS[DEV_ROLES.requesters[0]]!.privateKey,
      providers,
      dataDir: join(DEVNET_DIR, "collusion-requester"),
      log: (line) => console.log(`… ${line}`),
      onSettled: (job, units) => console.log(describeJob(job, providers, units).join("\n")),
      signal: stopDemo.signal,
    });
    demo = { result, providers };
  } catch (err) {
    if (stopping) process.exit(0);
    console.error(`\nThe collusion demo failed: ${(err as Error).message}`);
    console.error(`The marketplace keeps running; logs of every process are in ${rel(DEVNET_DIR)}/logs/.`);
  }
}
const lines = [
  "",
  `Accord is running locally (up in ${((Date.now() - t0) / 1000).toFixed(0)} s).`,
  "",
  `  chain        ${d.chain.rpcUrl}  (chain id ${d.deployment.chainId}, ${d.chain.engine}, ${d.chain.blockTime ? `a block every ${d.chain.blockTime} s` : "a block per transaction"})`,
  `  JobMarket    ${d.deployment.jobMarket}`,
  `  token        ${d.deployment.token}  (tUSD)`,
  `  addresses    ${rel(d.deploymentFile)}`,
  ...(d.webUrl ? [`  web app      ${d.webUrl}  (Connect wallet → Development wallet)`] : []),
  "",
  "  providers:",
  ...d.providers.map(
    (p) => `    #${p.index} ${p.address}  ${p.multiaddrs[0] ?? ""}${p.metricsUrl ? `  metrics ${p.metricsUrl}/metrics` : ""}${p.fault ? `  FAULTY: ${p.fault}` : ""}`,
  ),
  ...d.providers
    .filter((p) => p.relayLimits)
    .flatMap((p) => [
      `    #${p.index} relays for nodes behind NAT (on 127.0.0.1 none needs it; a node started with`,
      `       ACCORD_PRIVATE_ADDRESSES=false --bootstrap ${p.multiaddrs[0] ?? ""} reaches the devnet through it)`,
      `       limits: ${describeRelayLimits(p.relayLimits!)}`,
    ]),
  "",
];
if (d.sample) {
  lines.push(
    `  sample job   #${d.sample.jobId} ${d.sample.state}: sorted examples/fruits.txt on ${Math.min(3, d.providers.length)} providers`,
    `               result ${d.sample.resultCid}, verified against the on-chain consensus, in ${rel(d.sample.outDir)}/`,
    "",
  );
}
if (demo) lines.push(...describeOutcome(demo.result, demo.providers), "");
lines.push(
  "Try next (in another terminal):",
  "  export ACCORD_PRIVATE_KEY=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d   # dev account #1, a requester",
  "  npx accord job submit client/fixtures/wasm/sha256.wasm --input data.bin=README.md --replicas 3 --max-price 0.5 -- /input/data.bin",
  "  npx accord job list          # your jobs",
  "  npx accord providers         # reputation, prices and stake",
  "  npm start -- --fault 1=wrong-result   # next time: watch a dishonest provider get slashed",
  "  npm start -- --fault 1=collude,2=collude   # or colluders with 2 of 5 stakes lose theirs",
  "",
  `Logs: ${rel(DEVNET_DIR)}/logs/. Press Ctrl-C to stop everything.`,
);
console.log(lines.join("\n"));

const why = await d.died;
if (!stopping) {
  console.error(`\n${why}; stopping the marketplace (logs in ${rel(DEVNET_DIR)}/logs/).`);
  await shutdown(1);
}
