// The parts of the NAT test that talk to the chain or hold a peer: each runs as its own
// process inside a network namespace (`ip netns exec NS node test/nat/roles.ts ROLE ...`),
// since the test's own process lives outside them and cannot reach their addresses. Each
// role prints one JSON line on stdout.
//   setup   RPC_URL KEY...             deploys Accord, registers and stakes each provider key
//   request RPC_URL DEPLOYMENT DATA_DIR NAT_PROVIDER
//           posts a 3-replica job from behind NAT, gets and verifies the result, then fetches the
//           NAT'd provider's own sealed result and says whether it came direct or relayed
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createPublicClient, http, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { submitJob } from "../../client/src/actions/submitJob.ts";
import { waitForResult } from "../../client/src/actions/waitForResult.ts";
import { dialableAddresses } from "../../client/src/chain/peerAddresses.ts";
import { readProvider } from "../../client/src/chain/market.ts";
import { createAccordClient } from "../../client/src/client.ts";
import { parseCid } from "../../client/src/content/cid.ts";
import type { Deployment } from "../../client/src/deployments.ts";
import { isRelayed } from "../../client/src/net/direct-upgrade.ts";
import { decodeResultBundle } from "../../client/src/sandbox/bundle.ts";
import { generateResultKey, openResult } from "../../client/src/seal/seal.ts";
import { deployAccord } from "../../scripts/devnet/deploy.ts";
import { DEV_ACCOUNTS } from "../../scripts/devnet/accounts.ts";
import { connectChain } from "../../provider-node/src/chain/clients.ts";
import { addStake, registerOrUpdate } from "../../provider-node/src/chain/account.ts";
import { PROVIDER_LIMITS } from "../../provider-node/src/constants.ts";

const FIXTURES = join(import.meta.dirname, "..", "..", "client", "fixtures", "wasm");
const TOKEN = 1_000_000n;

async function setup(rpcUrl: string, keys: Hex[]): Promise<unknown> {
  const deployment = await deployAccord({ rpcUrl, parameters: { minStake: TOKEN, collateralRatioBps: 10_000, unbondingDelay: 0, protocolFeeBps: 0, fillTimeout: 120 } });
  for (const privateKey of keys) {
    const chain = await connectChain({ rpcUrl, privateKey, market: deployment.jobMarket, limits: PROVIDER_LIMITS });
    // No address yet: each daemon lists the ones it finds it can be reached at.
    await registerOrUpdate(chain, { peerId: new Uint8Array([0x00, 0x01, 0x00]), multiaddrs: [], askPrice: 1_000n });
    await addStake(chain, 100n * TOKEN);
  }
  return deployment;
}

async function request(rpcUrl: string, deploymentFile: string, dataDir: string, natProvider: Address): Promise<unknown> {
  const deployment = JSON.parse(await readFile(deploymentFile, "utf8"), (k, v) => (k === "startBlock" && typeof v === "string" ? BigInt(v) : v)) as Deployment;
  const client = createAccordClient({
    chain: hardhat,
    transport: http(rpcUrl),
    account: privateKeyToAccount(DEV_ACCOUNTS[1]!.privateKey),
    deployment,
    // Behind NAT on the internet: its 10.x address is no use to anyone.
    node: { dataDir, listen: ["/ip4/0.0.0.0/tcp/0"], privateAddresses: false },
    resultKey: generateResultKey(),
    pollingIntervalMs: 100,
  });
  try {
    const node = await client.getNode();
    const reach = await node.reachability.settled(AbortSignal.timeout(120_000));
    const posted = await submitJob(client, {
      module: new Uint8Array(await readFile(join(FIXTURES, "sort.wasm"))),
      inputs: { "data.txt": new TextEncoder().encode("pear\napple\nfig\n") },
      args: ["/input/data.txt", "/output/sorted.txt"],
      limits: { fuel: 50_000_000, memoryPages: 64, wallClockMs: 10_000 },
      replicas: 3,
      quorum: 2,
      maxPrice: TOKEN / 2n,
    });
    const result = await waitForResult(client, { jobId: posted.jobId, fromBlock: posted.blockNumber, timeoutMs: 240_000 });

    // The NAT'd provider's own sealed copy, from the address it listed on-chain (its relay's).
    const reveal = result.job.reveals.find((r) => r.provider.toLowerCase() === natProvider.toLowerCase());
    if (!reveal) throw new Error(`the provider behind NAT (${natProvider}) did not reveal; reveals: ${JSON.stringify(result.job.reveals.map((r) => r.provider))}`);
    const info = await readProvider(client.publicClient as PublicClient, deployment.jobMarket, natProvider);
    const from = dialableAddresses(info.peerId, info.multiaddrs);
    const envelope = await node.content.getBytes(parseCid(reveal.sealedResultCid), { from, timeoutMs: 30_000 });
    const plaintext = await openResult({ envelope, secretKey: client.resultKey!.secretKey, jobId: posted.jobId, expectedCid: parseCid(reveal.resultCid) });
    const natBundle = decodeResultBundle(plaintext);
    const peer = from[0]!.split("/p2p/").pop()!;
    const connections = node.libp2p.getConnections().filter((c) => c.remotePeer.toString() === peer);
    return {
      requesterReachability: reach,
      jobId: posted.jobId.toString(),
      sorted: new TextDecoder().decode(result.files["sorted.txt"]),
      resultProvider: result.provider,
      outcomes: Object.fromEntries(result.job.outcomes.map((o) => [o.provider, o.outcome])),
      natProviderAddresses: info.multiaddrs,
      natSorted: new TextDecoder().decode(natBundle.files["sorted.txt"]),
      natTransfer: connections.length && connections.every(isRelayed) ? "relayed" : connections.length ? "direct" : "closed",
      natConnections: connections.map((c) => ({ remoteAddr: c.remoteAddr.toString(), relayed: isRelayed(c) })),
    };
  } finally {
    await client.close();
  }
}

const [role, ...args] = process.argv.slice(2);
const out =
  role === "setup" ? await setup(args[0]!, args.slice(1) as Hex[]) : role === "request" ? await request(args[0]!, args[1]!, args[2]!, args[3] as Address) : undefined;
if (out === undefined) throw new Error(`unknown role ${role}: setup or request`);
process.stdout.write(JSON.stringify(out, (_, v) => (typeof v === "bigint" ? v.toString() : v)) + "\n");
process.exit(0);
