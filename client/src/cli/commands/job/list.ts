import { getTokenInfo } from "../../../actions/internal/token.ts";
import { listJobs } from "../../../actions/listJobs.ts";
import { positiveInt } from "../../jobSpec.ts";
import { fmtTokens } from "../../output.ts";
import type { CommandContext } from "../context.ts";

/** `accord job list` */
export default async function list(ctx: CommandContext, o: { all?: boolean; limit: string }): Promise<void> {
  const client = await ctx.client();
  const token = await getTokenInfo(client);
  const jobs = await listJobs(client, { requester: o.all ? null : undefined, limit: positiveInt(o.limit, "--limit"), signal: ctx.signal });
  const rows = jobs.map((j) => `${String(j.jobId).padEnd(14)} ${j.state.padEnd(11)} ${j.quorum}/${j.replicas}  ${fmtTokens(j.maxPrice, token.decimals, token.symbol).padEnd(14)} ${j.manifestCid}`);
  ctx.out.result(jobs, jobs.length ? [`${"JOB".padEnd(14)} ${"STATE".padEnd(11)} M/K  ${"MAX PRICE".padEnd(14)} MANIFEST`, ...rows].join("\n") : "no jobs");
}
