import { existsSync } from "node:fs";
import { join } from "node:path";
import { formatUnits, parseUnits } from "viem";
import { readProvider } from "@accord/client/chain";
import { addStake, registerOrUpdate, requestUnstake, tokenDecimals, withdrawable, withdrawAll } from "../chain/account.ts";
import { connectChain, type ChainContext } from "../chain/clients.ts";
import { loadConfig, requireKey, updateConfigFile, writeConfigFile, type LoadedConfig } from "../config/config.ts";
import { createKeyFile } from "../config/keyfile.ts";
import { DEFAULT_PRICING, JOURNAL_FILE_NAME, NODE_DIR_NAME, PROVIDER_LIMITS } from "../constants.ts";
import { InvalidAmountError } from "../errors.ts";
import { Journal } from "../journal/journal.ts";
import { reachabilityLines, readReachabilityFile } from "../net/reachability.ts";

export type Flags = Record<string, unknown> & { json?: boolean };

/** Prints `human` for people, or `data` as one JSON line with --json. Values only, never keys. */
export function output(flags: Flags, data: Record<string, unknown>, human: string): void {
  if (flags.json) process.stdout.write(`${JSON.stringify(data, (_, v) => (typeof v === "bigint" ? v.toString() : v))}\n`);
  else process.stdout.write(`${human}\n`);
}

async function connect(flags: Flags): Promise<{ loaded: LoadedConfig; chain: ChainContext }> {
  const loaded = loadConfig({ flags, requireRpc: true });
  const chain = await connectChain({
    rpcUrl: loaded.config.rpcUrl,
    privateKey: requireKey(loaded),
    market: loaded.config.market,
    limits: { ...PROVIDER_LIMITS, ...loaded.config.limits },
    signal: AbortSignal.timeout(120_000),
  });
  // Whose key signs, before anything is signed: a shell set up for another account shows here.
  if (!flags.json) process.stderr.write(`${actingFor(loaded, chain)}\n`);
  return { loaded, chain };
}

/** "provider 0x… (key file …) on chain N, market 0x…": the account a command acts for, and where. */
export function actingFor(loaded: Pick<LoadedConfig, "keySource">, chain: Pick<ChainContext, "account" | "chainId" | "market">): string {
  return `provider ${chain.account.address} (key: ${loaded.keySource}) on chain ${chain.chainId}, market ${chain.market}`;
}

export async function addressCommand(flags: Flags): Promise<void> {
  const loaded = loadConfig({ flags });
  const { privateKeyToAccount } = await import("viem/accounts");
  const address = privateKeyToAccount(requireKey(loaded)).address;
  output(flags, { address, key: loaded.keySource }, address);
}

export function parseAmount(value: string, decimals: number): bigint {
  if (!/^\d+(\.\d+)?$/.test(value.trim())) throw new InvalidAmountError(value, "it is not a positive decimal number");
  const frac = value.split(".")[1] ?? "";
  if (frac.length > decimals) throw new InvalidAmountError(value, `the token has ${decimals} decimals`);
  const amount = parseUnits(value.trim(), decimals);
  if (amount === 0n) throw new InvalidAmountError(value, "it is zero");
  return amount;
}

export async function initCommand(flags: Flags): Promise<void> {
  const loaded = loadConfig({ flags });
  const address = createKeyFile(loaded.keyFile);
  const settings: Record<string, unknown> = {};
  for (const k of ["rpcUrl", "market"] as const) if (loaded.config[k]) settings[k] = loaded.config[k];
  if (!existsSync(loaded.configFile)) {
    writeConfigFile(loaded.configFile, { ...settings, pricePerGigaFuel: DEFAULT_PRICING.pricePerGigaFuel, minPrice: DEFAULT_PRICING.minPrice, limits: { workers: PROVIDER_LIMITS.workers } });
  }
  output(
    flags,
    { address, keyFile: loaded.keyFile, configFile: loaded.configFile },
    `Created a provider key for ${address}\n  key file:    ${loaded.keyFile} (mode 0600; back it up, it controls your stake)\n  config file: ${loaded.configFile}\n\nNext: fund ${address} with gas and tokens, then run \`accord-provider register\` and \`accord-provider stake <amount>\`.`,
  );
}

export async function registerCommand(flags: Flags): Promise<void> {
  const { loaded, chain } = await connect(flags);
  // Only register needs the peer key: the content node's module (libp2p, Helia) is loaded here, not by every command.
  const [{ loadOrCreatePeerKey }, { peerIdFromPrivateKey }] = await Promise.all([import("@accord/client/net"), import("@libp2p/peer-id")]);
  const peerKey = await loadOrCreatePeerKey(join(loaded.config.dataDir, NODE_DIR_NAME, "peer.key"));
  const peerId = peerIdFromPrivateKey(peerKey);
  const askPrice = loaded.config.askPrice ?? loaded.config.pricing?.pricePerGigaFuel ?? DEFAULT_PRICING.pricePerGigaFuel;
  // Without --announce the running node fills in its listen addresses when it starts.
  const multiaddrs = loaded.config.announce ?? [];
  const result = await registerOrUpdate(chain, { peerId: peerId.toMultihash().bytes, multiaddrs, askPrice });
  // What register was told holds for `start`: it listens where register said and keeps the
  // announced addresses on-chain, instead of an address of its own choosing replacing them.
  const told = (name: "rpcUrl" | "market" | "listen" | "announce" | "askPrice") => (loaded.sources[name] === "flag" || loaded.sources[name] === "env" ? loaded.config[name] : undefined);
  updateConfigFile(loaded.configFile, { rpcUrl: told("rpcUrl"), market: told("market"), listen: told("listen"), announce: told("announce"), askPrice: told("askPrice") });
  output(flags, { address: chain.account.address, result, peerId: peerId.toString(), multiaddrs, askPrice }, `Provider ${chain.account.address} ${result} (peer ${peerId}, ask ${askPrice} per 1e9 fuel).`);
}

export async function stakeCommand(amountText: string, flags: Flags): Promise<void> {
  const { chain } = await connect(flags);
  const decimals = await tokenDecimals(chain);
  const amount = parseAmount(amountText, decimals);
  await addStake(chain, amount);
  const info = await readProvider(chain.client, chain.market, chain.account.address);
  output(flags, { staked: amount, stake: info.stake }, `Staked ${formatUnits(amount, decimals)}; stake is now ${formatUnits(info.stake, decimals)}.`);
}

export async function unstakeCommand(amountText: string, flags: Flags): Promise<void> {
  const { chain } = await connect(flags);
  const decimals = await tokenDecimals(chain);
  const amount = parseAmount(amountText, decimals);
  await requestUnstake(chain, amount);
  const info = await readProvider(chain.client, chain.market, chain.account.address);
  const when = new Date(Number(info.unbondingAvailableAt) * 1000).toISOString();
  output(flags, { unbonding: info.unbonding, availableAt: info.unbondingAvailableAt }, `${formatUnits(info.unbonding, decimals)} unbonding; withdraw it after ${when}.`);
}

export async function withdrawCommand(flags: Flags): Promise<void> {
  const { chain } = await connect(flags);
  const decimals = await tokenDecimals(chain);
  const { earnings, stake } = await withdrawAll(chain);
  output(flags, { earnings, stake }, `Withdrew ${formatUnits(earnings, decimals)} of earnings and ${formatUnits(stake, decimals)} of unbonded stake.`);
}

export async function statusCommand(flags: Flags): Promise<void> {
  const { loaded, chain } = await connect(flags);
  const [info, credited, decimals] = await Promise.all([readProvider(chain.client, chain.market, chain.account.address), withdrawable(chain), tokenDecimals(chain)]);
  const journalPath = join(loaded.config.dataDir, JOURNAL_FILE_NAME);
  let phases: Record<string, number> = {};
  let inFlight: Array<{ jobId: string; phase: string }> = [];
  let lastBlock: string | undefined;
  if (existsSync(journalPath)) {
    const journal = new Journal(journalPath, { readOnly: true });
    try {
      phases = journal.countByPhase();
      inFlight = journal.active().map((r) => ({ jobId: r.jobId.toString(), phase: r.phase }));
      lastBlock = journal.lastBlock()?.toString();
    } finally {
      journal.close();
    }
  }
  const fmt = (v: bigint) => formatUnits(v, decimals);
  const data = {
    address: info.address,
    market: chain.market,
    registered: info.registered,
    peerId: info.peerId === "0x" ? undefined : info.peerId,
    multiaddrs: info.multiaddrs,
    stake: info.stake,
    locked: info.locked,
    free: info.free,
    unbonding: info.unbonding,
    earnings: credited,
    reputation: { score: info.score, awarded: info.awarded, agreed: info.agreed, dissented: info.dissented, missed: info.missed },
    jobsInFlight: inFlight,
    jobsByPhase: phases,
    lastProcessedBlock: lastBlock,
    // What the daemon last found: reachable directly, through which relay, or not at all.
    reachability: readReachabilityFile(loaded.config.dataDir),
  };
  output(
    flags,
    data,
    [
      `Provider ${info.address}${info.registered ? "" : " (NOT registered: run `accord-provider register`)"}`,
      `  stake       ${fmt(info.stake)} (locked ${fmt(info.locked)}, free ${fmt(info.free)}, unbonding ${fmt(info.unbonding)})`,
      `  earnings    ${fmt(credited)} withdrawable`,
      `  reputation  ${(info.score / 100).toFixed(2)}% (awarded ${info.awarded}, agreed ${info.agreed}, dissented ${info.dissented}, missed ${info.missed})`,
      `  in flight   ${inFlight.length ? inFlight.map((j) => `${j.jobId}:${j.phase}`).join(", ") : "none"}`,
      `  journal     ${Object.entries(phases).map(([k, v]) => `${k} ${v}`).join(", ") || "empty"}; last block ${lastBlock ?? "-"}`,
      ...reachabilityLines(data.reachability),
    ].join("\n"),
  );
}
