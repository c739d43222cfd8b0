import { dryRun as runDry } from "../../../actions/dryRun.ts";
import { writeResultFiles } from "../../../actions/internal/writeResult.ts";
import { loadOrCreateResultKey, resolveConfig } from "../../config.ts";
import { jobSpecFromFlags, type JobSpecFlags } from "../../jobSpec.ts";
import type { CommandContext } from "../context.ts";

/** `accord job dry-run <module> [args...]` */
export default async function dryRun(ctx: CommandContext, module: string, args: string[], o: JobSpecFlags & { out?: string }): Promise<void> {
  const spec = await jobSpecFromFlags(module, args, o);
  // The same result key as a submit, so the manifest CID (and seed) is the one that would be posted.
  const resultKey = loadOrCreateResultKey(resolveConfig(ctx.flags).resultKeyFile);
  const r = await runDry({ resultKey }, { ...spec, signal: ctx.signal });
  const written = o.out ? await writeResultFiles(r, o.out, { manifestCid: r.manifestCid.toString(), resultCid: r.resultCid.toString(), dryRun: true }) : [];
  const status = r.status.kind === "exit" ? `exit status ${r.status.code}` : r.status.kind === "trap" ? `trapped: ${r.status.trap}` : `stopped at the ${r.status.limit} limit`;
  ctx.out.step(`✓ ran locally in ${r.wallMs.toFixed(0)} ms: ${status}, fuel ${r.fuelUsed} of ${r.manifest.limits.fuel}`);
  ctx.out.step(`  manifest ${r.manifestCid}`);
  ctx.out.step(`  result   ${r.resultCid} (honest providers will commit to this)`);
  ctx.out.result(
    { manifestCid: r.manifestCid.toString(), resultCid: r.resultCid.toString(), status: r.status, exitCode: r.exitCode ?? null, fuelUsed: r.fuelUsed, wallMs: r.wallMs, stdout: r.stdout, stderr: r.stderr, files: written },
    o.out ? `result written to ${o.out}` : new TextDecoder().decode(r.stdout),
  );
}
