/** Each fixture's exact outcome, through the worker pool as providers run it. */
import { afterAll, describe, expect, it } from "vitest";
import { createSandboxPool } from "./pool.ts";
import { job, str, text } from "./testing.ts";

const pool = createSandboxPool({ size: 2 });
afterAll(() => pool.close());

describe("sandbox runs", () => {
  it("echoes stdin, and passes args and the env sorted", async () => {
    const r = await pool.run(job("echo", { args: ["echo", "a b", "ü"], env: { ZED: "1", ALPHA: "2", "Ä": "3" }, stdin: text("hello\nworld\n") }));
    expect(r.status).toEqual({ kind: "exit", code: 2 });
    expect(str(r.stdout)).toBe("hello\nworld\n");
    expect(str(r.stderr)).toBe("arg 0=echo\narg 1=a b\narg 2=ü\nenv ALPHA=2\nenv ZED=1\nenv Ä=3\n");
    expect(r.files).toEqual({});
  });

  it("hashes an input file with SHA-256, for a fixed fuel", async () => {
    const r = await pool.run(job("sha256", { args: ["sha256", "/input/dir/data.bin"], inputs: { "dir/data.bin": text("abc") } }));
    expect(r.status).toEqual({ kind: "exit", code: 0 });
    expect(str(r.stdout)).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n");
    // Protocol value for this module (client/fixtures/wasm/sha256.wasm as build.sh makes it): a
    // change without a change of module changes every result CID, so it needs a
    // SANDBOX_ABI_VERSION bump.
    expect(r.fuelUsed).toBe(56_993);
  });

  it("sorts a file into /output, including a subdirectory", async () => {
    const r = await pool.run(job("sort", { inputs: { "data.txt": text("pear\napple\nfig\n") } }));
    expect(r.status).toEqual({ kind: "exit", code: 0 });
    expect(Object.keys(r.files).sort()).toEqual(["meta/count.txt", "sorted.txt"]);
    expect(str(r.files["sorted.txt"]!)).toBe("apple\nfig\npear\n");
    expect(str(r.files["meta/count.txt"]!)).toBe("3\n");
  });

  it("gives a fixed clock and random bytes from the job's seed", async () => {
    const a = await pool.run(job("clockrand", { seed: new Uint8Array(32) }));
    // ChaCha20 keystream of the all-zero key: RFC 8439 §2.3.2's first bytes.
    expect(str(a.stdout)).toBe("realtime 1704067200.000000000\nmonotonic 1704067200.000000000\nrandom 76b8e0ada0f13d90405d6ae55386bd28\n");
    const b = await pool.run(job("clockrand", { seed: new Uint8Array(32).fill(1) }));
    expect(str(b.stdout)).not.toBe(str(a.stdout));
  });

  it("stops an infinite loop at exactly the fuel limit", async () => {
    const r = await pool.run(job("loop", { limits: { fuel: 1_000_000 } }));
    expect(r.status).toEqual({ kind: "trap", trap: "out_of_fuel" });
    expect(r.fuelUsed).toBe(1_000_000);
  });

  it("fails malloc deterministically when memory reaches the cap", async () => {
    const r = await pool.run(job("membomb", { limits: { memoryPages: 64, fuel: 1_000_000_000 } }));
    expect(r.status).toEqual({ kind: "exit", code: 3 });
    expect(str(r.stdout)).toBe("allocated 3 MiB\n");
  });

  it("cuts a stdout flood at the cap, keeping exactly the cap's bytes", async () => {
    const r = await pool.run(job("flood", { limits: { stdoutBytes: 10_000 } }));
    expect(r.status).toEqual({ kind: "limit", limit: "stdout" });
    expect(r.stdout.length).toBe(10_000);
    expect(str(r.stdout).startsWith("line 0 of an endless flood\nline 1 of")).toBe(true);
  });

  it("ends runaway recursion with the deterministic stack_overflow", async () => {
    const r = await pool.run(job("recurse", { limits: { fuel: 100_000_000 } }));
    expect(r.status).toEqual({ kind: "trap", trap: "stack_overflow" });
    expect(r.fuelUsed).toBe(393_207);
  });

  it("keeps the module inside /input and /output", async () => {
    const r = await pool.run(job("escape", { inputs: { "secret.txt": text("s") } }));
    expect(r.status).toEqual({ kind: "exit", code: 0 });
    expect(str(r.stdout)).toBe(
      [
        "/etc/passwd: Capabilities insufficient",
        "../etc/passwd: Capabilities insufficient",
        "/input/../etc/passwd: Capabilities insufficient",
        "/input/../../etc/passwd: Capabilities insufficient",
        "/output/../input/secret.txt: Capabilities insufficient",
        "/output/a/../../../etc/passwd: No such file or directory",
        "/input/secret.txt: opened",
        // O_WRONLY: wasi-libc asks only for the rights /input passes on (no FD_WRITE), so the
        // open succeeds without them and any write fails; O_CREAT needs PATH_CREATE_FILE.
        "/input/secret.txt: opened",
        "/input/new.txt: Read-only file system",
        "/tmp/x: Capabilities insufficient",
        "",
      ].join("\n"),
    );
    expect(r.files).toEqual({});
  });

  it("maps each engine trap to its fixed kind", async () => {
    const kinds = {
      unreachable: "unreachable", div0: "integer_divide_by_zero", overflow: "integer_overflow", oob: "memory_out_of_bounds",
      conversion: "invalid_conversion", signature: "indirect_call_type_mismatch", table: "table_out_of_bounds",
    };
    for (const [arg, trap] of Object.entries(kinds)) {
      const r = await pool.run(job("traps", { args: ["traps", arg] }));
      expect(r.status, arg).toEqual({ kind: "trap", trap });
    }
  });

  it("gives canonical NaNs from arithmetic but keeps NaN bits a program sets itself", async () => {
    const r = await pool.run(job("nan"));
    expect(str(r.stdout)).toBe("div 7ff8000000000000\nsqrt 7ff8000000000000\nf32 7fc00000\ncopysign 1\nchain 7ff8000000000000\nboxed 7ff4000000c0ffee\n");
  });

  it("caps /output files and bytes", async () => {
    const files = await pool.run(job("sort", { inputs: { "data.txt": text("b\na\n") }, limits: { outputFiles: 1 } }));
    expect(files.status).toEqual({ kind: "limit", limit: "output_files" });
    expect(Object.keys(files.files)).toEqual(["sorted.txt"]);
    const bytes = await pool.run(job("sort", { inputs: { "data.txt": text("b\na\n") }, limits: { outputBytes: 3 } }));
    expect(bytes.status).toEqual({ kind: "limit", limit: "output_bytes" });
  });
});
