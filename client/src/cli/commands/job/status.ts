import { getJob } from "../../../actions/getJob.ts";
import { getTokenInfo } from "../../../actions/internal/token.ts";
import { watchJob } from "../../../actions/watchJob.ts";
import { activeBids } from "../../../chain/jobHistory.ts";
import { fmtTime, fmtTokens } from "../../output.ts";
import { renderEvent } from "../../progress.ts";
import type { CommandContext } from "../context.ts";
import { parseId } from "./args.ts";

/** `accord job status <jobId>` */
export default async function status(ctx: CommandContext, id: string, o: { watch?: boolean }): Promise<void> {
  const client = await ctx.client();
  const jobId = parseId(id);
  const token = await getTokenInfo(client);
  if (o.watch) for await (const ev of watchJob(client, { jobId, signal: ctx.signal })) renderEvent(ctx.out, ev, token);
  const j = await getJob(client, { jobId, signal: ctx.signal });
  const amt = (u: bigint) => fmtTokens(u, token.decimals, token.symbol);
  const lines = [
    `job ${j.jobId}  ${j.state}`,
    `  requester  ${j.requester}`,
    `  manifest   ${j.manifestCid}`,
    `  replicas   ${j.replicas} (quorum ${j.quorum}), max ${amt(j.maxPrice)} each, escrow ${amt(j.escrow)}`,
    `  bids       ${activeBids(j).length}/${j.replicas}${j.deadline !== undefined ? `, phase deadline ${fmtTime(j.deadline)}` : ""}`,
    `  commits    ${j.committed.length}/${j.winners}   reveals ${j.reveals.length}/${j.committed.length}`,
    ...j.reveals.map((r) => `    ${r.provider} → ${r.resultCid}`),
    ...(j.settlement ? [`  settled    paid ${amt(j.settlement.paid)}, fee ${amt(j.settlement.fee)}, refunded ${amt(j.settlement.refunded + j.restitution)}${j.settlement.slashed > 0n ? `, slashed ${amt(j.settlement.slashed)}` : ""}`] : []),
  ];
  ctx.out.result(j, lines.join("\n"));
}
