/**
 * The parties of the anvil benches (bench:realchain, bench:tasks) as users run them: the
 * provider daemons at accord-provider's defaults and the requester at the SDK's. The test
 * harness polls faster to keep tests short on a chain that mines a block per transaction
 * (daemons every 100 ms, requesters every 50 ms); on 2 s blocks that finds nothing sooner and
 * only costs CPU, which is what bounds these benches on a 2-core machine.
 */
import { join } from "node:path";
import { http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { createAccordClient, type AccordClient } from "../../client/src/client.ts";
import { generateResultKey } from "../../client/src/seal/seal.ts";
import { PROVIDER_LIMITS } from "../../provider-node/src/constants.ts";
import { DEV_ACCOUNTS } from "../devnet/accounts.ts";
import type { Devnet } from "../../test/devnet.ts";

/**
 * The environment of a bench's daemons: the daemon's own poll interval, and any node options
 * given in `nodeOptionsVar` (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to find where their CPU
 * goes: each writes its profile when it stops).
 */
export function daemonEnv(nodeOptionsVar: string): Record<string, string> {
  const extra = process.env[nodeOptionsVar];
  return {
    ACCORD_LIMIT_POLL_INTERVAL_MS: String(PROVIDER_LIMITS.pollIntervalMs),
    ...(extra ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} ${extra}`.trim() } : {}),
  };
}

/** A requester client for dev account `index` at the SDK's polling interval, with its own content node under the devnet's folder. */
export function defaultRequester(net: Devnet, index: number): AccordClient {
  return createAccordClient({
    chain: hardhat,
    transport: http(net.rpcUrl),
    account: privateKeyToAccount(DEV_ACCOUNTS[index]!.privateKey),
    deployment: net.deployment,
    node: { dataDir: join(net.dir, `bench-requester-${index}`) },
    resultKey: generateResultKey(),
  });
}
