import { InsufficientBalanceError, postJob as postOnChain, TransactionRevertedError, type PostJobProgress } from "@accord/client/actions/chain";
import { cidOfBytes } from "@accord/client/content/cid";
import { BaseError } from "@accord/client/errors";
import { encodeManifest, manifestCid } from "@accord/client/manifest";
import type { ResultKeyPair } from "@accord/client/seal";
import { bytesToHex, type Address } from "viem";
import type { Config } from "wagmi";
import type { PublicConfig } from "../config.ts";
import { fetchJson } from "./api.ts";
import { manifestOf, offerOf, type JobFormValues } from "./job-form.ts";
import { marketChainOf } from "./market-chain.ts";

export type PostStep = "key" | "upload" | "manifest" | "permit" | "post" | "confirm";
export const POST_STEPS: { step: PostStep; label: string }[] = [
  { step: "key", label: "Derive your result key (sign a message in your wallet)" },
  { step: "upload", label: "Upload the program and inputs to the content network" },
  { step: "manifest", label: "Pin the job manifest" },
  { step: "permit", label: "Authorise the escrow (sign a permit, or approve the market)" },
  { step: "post", label: "Post the job (sign the transaction)" },
  { step: "confirm", label: "Wait for the transaction to be mined" },
];

type Uploaded = { field: string; name: string; size: number; cid: string };

export class CidMismatchError extends BaseError {
  override name = "CidMismatchError";
  constructor(name: string, expected: string, got: string) {
    super(`The server stored "${name}" as ${got}, but its bytes have CID ${expected}.`, { fix: "The upload was altered on the way: try again, or use another Accord server." });
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
  /** The manifest's nonce: the dry run's, so the posted manifest is the one that ran (default random). */
  nonce?: string;
};

/**
 * The browser's whole post: content in through the server, manifest built and pinned, then the
 * library's postJob with the connected wallet (an existing allowance, else an EIP-2612 permit
 * signed in the wallet, else an approval) and the job posted. Returns the new job's id.
 */
export async function postJob({ wagmi, app, account, values, resultKey, onStep, nonce: given }: PostJobArgs): Promise<bigint> {
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
  const nonce = given ?? newNonce();
  const manifest = manifestOf(values, { module: cids.get("module")!, stdin: cids.get("stdin"), inputs }, key.publicKeyHex, nonce);

  onStep("manifest");
  const bytes = encodeManifest(manifest);
  const cid = await manifestCid(manifest);
  const pinned = await uploadChecked([{ field: "manifest", file: new File([bytes as BlobPart], "manifest.json", { type: "application/json" }) }]);
  if (pinned.get("manifest") !== cid.toString()) throw new CidMismatchError("manifest.json", cid.toString(), pinned.get("manifest") ?? "nothing");

  try {
    const posted = await postOnChain(await marketChainOf(wagmi, app, account), {
      ...offerOf(values, app.tokenDecimals),
      manifestCid: cid,
      onProgress: (p) => {
        const step = stepOf(p);
        if (step) onStep(step);
      },
    });
    return posted.jobId;
  } catch (err) {
    throw forThePage(err, app);
  }
}

/** Makes two identical submissions distinct jobs (docs/PROTOCOL.md, "Uploads"). */
export const newNonce = () => bytesToHex(crypto.getRandomValues(new Uint8Array(16))).slice(2);

/** Where the library's post is, as the page's steps name it. */
function stepOf(p: PostJobProgress): PostStep | undefined {
  if (p.step === "escrow") return p.payment === "allowance" ? "post" : "permit";
  if (p.step === "sending") return "post";
  if (p.step === "sent") return "confirm";
  return undefined;
}

/** A post the library refused, worded for the page's user (the library's fixes name its own parameters). */
export class PostJobError extends BaseError {
  override name = "PostJobError";
  constructor(cause: BaseError, fix: string) {
    super(cause.shortMessage, { fix, details: cause.details, cause });
  }
}

function forThePage(err: unknown, app: PublicConfig): unknown {
  if (err instanceof InsufficientBalanceError) return new PostJobError(err, `Fund the account with ${app.tokenSymbol}, or lower the price or the replicas (the estimate shows the cost).`);
  if (err instanceof TransactionRevertedError) return new PostJobError(err, "The market changed between the check and the transaction; post the job again.");
  return err;
}
