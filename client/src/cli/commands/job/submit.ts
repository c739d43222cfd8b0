import { estimateCost } from "../../../actions/estimateCost.ts";
import { InvalidJobParametersError } from "../../../actions/errors.ts";
import { getTokenInfo, parseAmount } from "../../../actions/internal/token.ts";
import { submitJob, type SubmitJobParameters } from "../../../actions/submitJob.ts";
import { DEFAULT_LIMITS } from "../../../sandbox/constants.ts";
import { CliConfigError } from "../../errors.ts";
import { jobSpecFromFlags, positiveInt, type JobSpecFlags } from "../../jobSpec.ts";
import { fmtBytes, fmtSpeed, fmtTokens } from "../../output.ts";
import { planLine, replicasFromFlags, type ReplicasFlags } from "../../replicasFlags.ts";
import type { CommandContext } from "../context.ts";
import { awaitAndWrite } from "./awaitResult.ts";
import { accountLock, accountLockDir } from "../../accountLock.ts";

/** `accord job submit <module> [args...]` */
export default async function submit(ctx: CommandContext, module: string, args: string[], o: JobSpecFlags & ReplicasFlags & Record<string, any>): Promise<void> {
  const spec = await jobSpecFromFlags(module, args, o);
  if (!["auto", "permit", "approve"].includes(o.payment)) throw new CliConfigError(`--payment "${o.payment}" is not auto, permit or approve.`, "Pass --payment auto (the default).");
  // Derived before connecting: a confidence no job reaches is refused before anything is read or sent.
  const { replicas, quorum, plan } = replicasFromFlags(o);
  const maxReplicas = positiveInt(o.maxReplicas, "--max-replicas");
  if (plan) ctx.out.step(planLine(plan, maxReplicas));
  const client = await ctx.client({ withNode: true, withKey: true });
  const token = await getTokenInfo(client);
  let maxPrice = o.maxPrice !== undefined ? parseAmount(o.maxPrice, token.decimals) : undefined;
  // A job asked for by confidence shows what its replicas cost before paying, whoever set the price.
  const est =
    maxPrice === undefined || plan
      ? await estimateCost(client, { replicas, maxReplicas, fuel: spec.limits?.fuel ?? DEFAULT_LIMITS.fuel, maxPrice, minReputation: positiveInt(o.minReputation, "--min-reputation"), signal: ctx.signal })
      : undefined;
  if (maxPrice === undefined) {
    if (est?.clearingPrice === undefined)
      throw new InvalidJobParametersError(
        "maxPrice",
        `only ${est?.quotes.length ?? 0} eligible provider(s) are registered for ${replicas} replica(s), so no price can be suggested`,
        plan ? "Pass --max-price, or a lower --confidence or --adversary-share (fewer replicas)." : "Pass --max-price, or ask for fewer replicas.",
      );
    maxPrice = est.maxPrice;
    ctx.out.step(
      `  max price ${fmtTokens(maxPrice, token.decimals, token.symbol)} per replica (twice the clearing price of the on-chain asks, ${fmtTokens(est.clearingPrice, token.decimals, token.symbol)}: providers also charge for memory and input, and winners are paid their own bids)`,
    );
  }
  if (plan && est) {
    const amt = (u: bigint) => fmtTokens(u, token.decimals, token.symbol);
    const likely =
      est.clearingPrice === undefined
        ? `only ${est.quotes.length} eligible provider(s) for ${replicas} replicas, so the job may expire unfilled`
        : `likely ${amt(est.expectedCost)} at the providers' asks`;
    ctx.out.step(`  cost: escrow ${amt(est.escrow)} (${est.maxReplicas} × ${amt(maxPrice)} + fee ${amt(est.fee)}), ${likely}; the rest is refunded`);
  }
  const params: SubmitJobParameters = {
    ...spec,
    replicas,
    quorum,
    maxReplicas,
    maxPrice,
    minReputation: positiveInt(o.minReputation, "--min-reputation"),
    bidWindow: positiveInt(o.bidWindow, "--bid-window"),
    commitWindow: positiveInt(o.commitWindow, "--commit-window"),
    revealWindow: positiveInt(o.revealWindow, "--reveal-window"),
    payment: o.payment,
    // Other accord processes posting from this key wait their turn (permit and account nonces).
    exclusive: client.account ? accountLock(accountLockDir(), client.chain.id, client.account.address, { signal: ctx.signal }) : undefined,
    signal: ctx.signal,
    onProgress: (p) => {
      if (p.step === "upload") ctx.out.step(`✓ uploaded ${p.name === "module" ? `module ${module}` : p.name}: ${fmtBytes(p.bytes)} in ${p.ms.toFixed(0)} ms (${fmtSpeed(p.bytes, p.ms)})`);
      if (p.step === "manifest") ctx.out.step(`✓ manifest ${p.manifestCid} (${fmtBytes(p.bytes)})`);
      if (p.step === "escrow") ctx.out.step(`  escrow ${fmtTokens(p.escrow, p.decimals, p.symbol)} by ${p.payment}`);
      if (p.step === "approve") ctx.out.step(`✓ approved (tx ${p.transactionHash})`);
      if (p.step === "posted") ctx.out.step(`✓ posted job ${p.jobId} in block ${p.blockNumber} (tx ${p.transactionHash})`);
    },
  };
  const posted = await submitJob(client, params);
  if (!o.wait) {
    ctx.out.result({ jobId: posted.jobId, manifestCid: posted.manifestCid.toString(), transactionHash: posted.transactionHash, escrow: posted.escrow, ...(plan ? { plan } : {}) }, `${posted.jobId}`);
    return;
  }
  await awaitAndWrite(ctx, client, posted.jobId, posted.blockNumber, o.out, positiveInt(o.timeout, "--timeout"));
}
