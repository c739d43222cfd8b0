import { getTokenInfo } from "../../../actions/internal/token.ts";
import { writeResultFiles } from "../../../actions/internal/writeResult.ts";
import { waitForResult, type WaitForResultReturnType } from "../../../actions/waitForResult.ts";
import type { AccordClient } from "../../../client.ts";
import { fmtBytes, short, type Output } from "../../output.ts";
import { renderEvent } from "../../progress.ts";
import type { CommandContext } from "../context.ts";

function printResult(out: Output, r: WaitForResultReturnType, dir: string | undefined, written: string[]) {
  const status = r.status.kind === "exit" ? `exit status ${r.status.code}` : r.status.kind === "trap" ? `trapped: ${r.status.trap}` : `stopped at the ${r.status.limit} limit`;
  out.step(`✓ result ${r.resultCid} from ${short(r.provider)} matches the on-chain consensus`);
  if (dir) out.step(`✓ result written to ${dir} (stdout ${fmtBytes(r.stdout.length)}, stderr ${fmtBytes(r.stderr.length)}, ${Object.keys(r.files).length} file(s))`);
  out.result(
    { jobId: r.jobId, state: r.state, resultCid: r.resultCid, provider: r.provider, status: r.status, exitCode: r.exitCode ?? null, fuelUsed: r.fuelUsed, paid: r.paid, refunded: r.refunded, outDir: dir ?? null, files: written, stdout: r.stdout, stderr: r.stderr },
    dir ? `${status}, fuel ${r.fuelUsed}` : `${new TextDecoder().decode(r.stdout)}${status}, fuel ${r.fuelUsed}`,
  );
}

/** Waits for the job to settle, fetches and verifies its result, writes it and prints it (`job submit` and `job result`). */
export async function awaitAndWrite(ctx: CommandContext, client: AccordClient, jobId: bigint, fromBlock: bigint | undefined, outDir: string | undefined, timeoutS: number | undefined) {
  const token = await getTokenInfo(client);
  const result = await waitForResult(client, {
    jobId,
    fromBlock,
    signal: ctx.signal,
    timeoutMs: timeoutS !== undefined ? timeoutS * 1000 : undefined,
    onEvent: (ev) => ev.type !== "posted" && renderEvent(ctx.out, ev, token),
    onFetch: (f) => f.outcome === "failed" && ctx.out.step(`✗ result from ${short(f.provider)} refused: ${f.error}`),
  });
  const written = outDir ? await writeResultFiles(result, outDir, { jobId: result.jobId, resultCid: result.resultCid, provider: result.provider, manifestCid: result.job.manifestCid }) : [];
  printResult(ctx.out, result, outDir, written);
}
