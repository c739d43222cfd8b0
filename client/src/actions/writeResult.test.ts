import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UnsafeResultPathError, writeResultFiles } from "./internal/writeResult.ts";

const dir = await mkdtemp(join(tmpdir(), "accord-result-"));
afterAll(() => rm(dir, { recursive: true, force: true }));
const base = { status: { kind: "exit", code: 0 } as const, exitCode: 0, fuelUsed: 7, stdout: new TextEncoder().encode("out"), stderr: new Uint8Array() };

describe("writeResultFiles", () => {
  it("writes stdout, stderr, the output files and result.json", async () => {
    await writeResultFiles({ ...base, files: { "a/b.txt": new TextEncoder().encode("B") } }, join(dir, "ok"), { jobId: 5n });
    expect(await readFile(join(dir, "ok", "stdout"), "utf8")).toBe("out");
    expect(await readFile(join(dir, "ok", "files", "a", "b.txt"), "utf8")).toBe("B");
    expect(JSON.parse(await readFile(join(dir, "ok", "result.json"), "utf8"))).toMatchObject({ jobId: "5", exitCode: 0, fuelUsed: 7, files: ["a/b.txt"] });
  });

  it("refuses a file path that climbs out of the output folder", async () => {
    await expect(writeResultFiles({ ...base, files: { "../../escape": new Uint8Array([1]) } }, join(dir, "bad"))).rejects.toBeInstanceOf(UnsafeResultPathError);
  });
});
