// Issue #17 item 8: a file the upload route would refuse is refused by the form before anything is
// uploaded (or paid), in MiB, with advice the user can follow (the form has no CID field; the CLI
// serves big files from the user's own node).
import { describe, expect, it } from "vitest";
import { INITIAL_VALUES, validateJobForm, type JobFormValues } from "../lib/client/job-form.ts";

const KiB = 1024;
const LIMITS = { maxUploadFileBytes: 64 * KiB, maxUploadRequestBytes: 100 * KiB };
const file = (name: string, bytes: number) => new File([new Uint8Array(bytes)], name);
const form = (over: Partial<JobFormValues>): JobFormValues => ({ ...INITIAL_VALUES, module: file("prog.wasm", 1 * KiB), maxPrice: "1", ...over });

describe("the post form's file sizes", () => {
  it("accepts files within the upload route's limits", () => {
    const e = validateJobForm(form({ inputs: [file("a.bin", 60 * KiB)], stdin: file("in.txt", 30 * KiB) }), 6, { ok: true }, LIMITS);
    expect([e.module, e.inputs, e.stdin]).toEqual([undefined, undefined, undefined]);
  });

  it("names the file too big for one upload, with its size, the limit and the CLI as the way out", () => {
    const big = validateJobForm(form({ inputs: [file("ok.bin", 1 * KiB), file("frames.tar", 80 * KiB)] }), 6, { ok: true }, LIMITS);
    expect(big.inputs).toBe('"frames.tar" is 80.0 KiB; this app uploads files of at most 64.0 KiB. Use a smaller file, or post the job with the CLI (`accord job submit`), which serves its files from your own node.');
    expect(big.inputs).not.toContain("CID");
    expect(validateJobForm(form({ stdin: file("stdin.bin", 65 * KiB) }), 6, { ok: true }, LIMITS).stdin).toMatch(/^"stdin.bin" is 65.0 KiB/);
    // The module's size is said before its check (a file that big is not read to be checked).
    expect(validateJobForm(form({ module: file("huge.wasm", 70 * KiB) }), 6, undefined, LIMITS).module).toMatch(/^"huge.wasm" is 70.0 KiB/);
  });

  it("refuses files that each fit but together exceed one upload", () => {
    const e = validateJobForm(form({ inputs: [file("a.bin", 50 * KiB), file("b.bin", 50 * KiB)] }), 6, { ok: true }, LIMITS);
    expect(e.inputs).toBe("The files add up to 101.0 KiB; this app uploads at most 100.0 KiB for one job. Use fewer or smaller files, or post with the CLI (`accord job submit`).");
  });
});
