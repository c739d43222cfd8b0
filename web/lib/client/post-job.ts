import { jobMarketAbi } from "@accord/client/abi";
import { cidToHex, permitArgument, permitNoncesAbi, permitTypedData } from "@accord/client/chain";
import { cidOfBytes } from "@accord/client/content/cid";
import { encodeManifest, manifestCid } from "@accord/client/manifest";
import type { ResultKeyPair } from "@accord/client/seal";
import { bytesToHex, erc20Abi, parseEventLogs, parseUnits, type Address } from "viem";
import type { Config } from "wagmi";
import { getPublicClient, readContract, signTypedData, waitForTransactionReceipt, writeContract } from "wagmi/actions";
import type { PublicConfig } from "../config.ts";
import { fetchJson } from "./api.ts";
import { formatAmount } from "./format.ts";
import { manifestOf, type JobFormValues } from "./job-form.ts";

export type PostStep = "key" | "upload" | "manifest" | "permit" | "post" | "confirm";
export const POST_STEPS: { step: PostStep; label: string }[] = [
  { step: "key", label: "Derive your result key (sign a message in your wallet)" },
  { step: "upload", label: "Upload the program and inputs to the content network" },
  { step: "manifest", label: "Pin the job manifest" },
  { step: "permit", label: "Authorise the escrow (sign a permit)" },
  { step: "post", label: "Post the job (sign the transaction)" },
  { step: "confirm", label: "Wait for the transaction to be mined" },
];

type Uploaded = { field: string; name: string; size: number; cid: string };

/** A permit is good for this long: enough to sign, send and mine the transaction. */
const PERMIT_TTL_S = 3600n;
const BPS = 10_000n;

export class CidMismatchError extends Error {
  constructor(name: string, expected: string, got: string) {
    super(`The server stored "${name}" as ${got}, but its bytes have CID ${expected}. The upload was altered; try again or use another Accord server.`);
  }
}

async function upload(form: FormData): Promise<Uploaded[]> {
  return fetchJson<Uploaded[]>("/api/content", { method: "POST", body: form });
}

/** Uploads a file and checks the server's CID against one computed here, from the same bytes. */
async function uploadChecked(entries: { field: string; file: File }[]): Promise<Map<string, string>> {
  const form = new FormData();
  for (const e of entries) form.append(e.field, e.file, e.file.name);
  const [answer, local] = await Promise.all([upload(form), Promise.all(entries.map(async (e) => (await cidOfBytes(new Uint8Array(await e.file.arrayBuffer()))).toString()))]);
  const out = new Map<string, string>();
  entries.forEach((e, i) => {
    const got = answer.find((a) => a.field === e.field)?.cid;
    if (got !== local[i]) throw new CidMismatchError(e.file.name, local[i]!, got ?? "nothing");
    out.set(e.field, got);
  });
  return out;
}

export type PostJobArgs = {
  wagmi: Config;
  app: PublicConfig;
  account: Address;
  values: JobFormValues;
  resultKey: () => Promise<ResultKeyPair>;
  onStep: (s: PostStep) => void;
};

/**
 * The browser's whole post: content in, manifest built and pinned, escrow authorised with an
 * EIP-2612 permit and the job posted in one transaction, both signed in the user's wallet.
 * Returns the new job's id from its JobPosted event.
 */
export async function postJob({ wagmi, app, account, values, resultKey, onStep }: PostJobArgs): Promise<bigint> {
  onStep("key");
  const key = await resultKey();

  onStep("upload");
  const entries = [
    { field: "module", file: values.module! },
    ...(values.stdin ? [{ field: "stdin", file: values.stdin }] : []),
    ...values.inputs.map((f) => ({ field: `input:${f.name}`, file: f })),
  ];
  const cids = await uploadChecked(entries);
  const inputs: Record<string, string> = {};
  for (const f of values.inputs) inputs[f.name] = cids.get(`input:${f.name}`)!;
  const nonce = bytesToHex(crypto.getRandomValues(new Uint8Array(16))).slice(2);
  const manifest = manifestOf(values, { module: cids.get("module")!, stdin: cids.get("stdin"), inputs }, key.publicKeyHex, nonce);

  onStep("manifest");
  const bytes = encodeManifest(manifest);
  const cid = await manifestCid(manifest);
  const pinned = await uploadChecked([{ field: "manifest", file: new File([bytes as BlobPart], "manifest.json", { type: "application/json" }) }]);
  if (pinned.get("manifest") !== cid.toString()) throw new CidMismatchError("manifest.json", cid.toString(), pinned.get("manifest") ?? "nothing");

  const replicas = Number(values.replicas);
  const maxPrice = parseUnits(values.maxPrice.trim(), app.tokenDecimals);
  const base = BigInt(replicas) * maxPrice;
  const escrow = base + (base * BigInt(app.protocolFeeBps)) / BPS;
  const params = {
    manifestCid: cidToHex(cid),
    replicas,
    quorum: Number(values.quorum),
    maxPrice,
    bidWindow: Number(values.bidWindowS),
    commitWindow: Number(values.commitWindowS),
    revealWindow: Number(values.revealWindowS),
    minReputation: Math.round(Number(values.minReputationPct) * 100),
  };

  const token = { address: app.token, abi: erc20Abi } as const;
  const [balance, allowance] = await Promise.all([
    readContract(wagmi, { ...token, functionName: "balanceOf", args: [account] }),
    readContract(wagmi, { ...token, functionName: "allowance", args: [account, app.jobMarket] }),
  ]);
  if (balance < escrow) throw new InsufficientBalanceError(balance, escrow, app);

  let hash: `0x${string}`;
  if (allowance >= escrow) {
    onStep("post");
    hash = await writeContract(wagmi, { address: app.jobMarket, abi: jobMarketAbi, functionName: "postJob", args: [params] });
  } else {
    onStep("permit");
    const permit = await signPermit(wagmi, app, account, escrow);
    onStep("post");
    hash = await writeContract(wagmi, { address: app.jobMarket, abi: jobMarketAbi, functionName: "postJobWithPermit", args: [params, permit] });
  }

  onStep("confirm");
  const receipt = await waitForTransactionReceipt(wagmi, { hash });
  if (receipt.status !== "success") throw new Error(`The transaction ${hash} was reverted.`);
  const posted = parseEventLogs({ abi: jobMarketAbi, logs: receipt.logs, eventName: "JobPosted" })[0];
  if (!posted) throw new Error(`The transaction ${hash} was mined but posted no job.`);
  return posted.args.jobId;
}

export class InsufficientBalanceError extends Error {
  fix: string;
  constructor(balance: bigint, needed: bigint, app: PublicConfig) {
    const fmt = (v: bigint) => `${formatAmount(v, app.tokenDecimals, app.tokenDecimals)} ${app.tokenSymbol}`;
    super(`The escrow is ${fmt(needed)} but this account holds ${fmt(balance)}.`);
    this.fix = `Fund the account with ${app.tokenSymbol}, or lower the price or the replicas.`;
  }
}

/** An EIP-2612 permit for the market to take `value` of the token (one signature, no transaction). */
async function signPermit(wagmi: Config, app: PublicConfig, owner: Address, value: bigint) {
  const client = getPublicClient(wagmi)!;
  const [{ domain }, nonce, block] = await Promise.all([
    client.getEip712Domain({ address: app.token }),
    readContract(wagmi, { address: app.token, abi: permitNoncesAbi, functionName: "nonces", args: [owner] }),
    client.getBlock(),
  ]);
  // The deadline follows the chain's clock, which on a local chain can run ahead of the browser's.
  const deadline = block.timestamp + PERMIT_TTL_S;
  // No `account`: wagmi would then sign through eth_signTypedData over RPC instead of with the connected wallet.
  const signature = await signTypedData(wagmi, permitTypedData({ domain, owner, spender: app.jobMarket, value, nonce, deadline }));
  return permitArgument(value, deadline, signature);
}
