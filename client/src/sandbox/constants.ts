/**
 * Every limit of the sandbox, with its unit in its name. Job limits come from the manifest
 * (`SandboxLimits`); the rest are host-side bounds that never change a result, or protocol
 * constants that every provider must share (those are marked "protocol": changing one changes
 * results, so it changes `SANDBOX_ABI_VERSION`).
 */
import type { SandboxLimits } from "./types.ts";

/** Protocol: bumps whenever anything that shapes a result changes (metering, WASI, encoding). */
export const SANDBOX_ABI_VERSION = 2;

/** 64 KiB, the size of one WebAssembly page. */
export const WASM_PAGE_BYTES = 65_536;

export const DEFAULT_LIMITS = {
  fuel: 10_000_000_000,
  memoryPages: 4_096, // 256 MiB
  stdoutBytes: 1_048_576,
  stderrBytes: 262_144,
  outputFiles: 64,
  outputBytes: 64 * 1_048_576,
  wallClockMs: 120_000,
} as const satisfies SandboxLimits;

/** Bounds a job's limits may not exceed, whatever the manifest says. */
export const MAX_LIMITS = {
  fuel: Number.MAX_SAFE_INTEGER,
  memoryPages: 65_536, // 4 GiB: all a 32-bit memory can address
  stdoutBytes: 256 * 1_048_576,
  stderrBytes: 256 * 1_048_576,
  outputFiles: 65_536,
  outputBytes: 1_024 * 1_048_576,
  wallClockMs: 24 * 3_600_000,
} as const satisfies SandboxLimits;

/** Modules larger than this are refused before they are parsed. */
export const MAX_MODULE_BYTES = 64 * 1_048_576;
/** Protocol: tables are capped like memory, so table.grow fails deterministically past it. */
export const MAX_TABLE_ELEMENTS = 1_048_576;
/** V8 refuses functions with more locals than this; we refuse them first with a clear error. */
export const MAX_FUNCTION_LOCALS = 50_000;
/** Bounds on job inputs, checked before a run (host memory, not results). */
export const MAX_ARGS_BYTES = 1_048_576;
export const MAX_ENV_BYTES = 1_048_576;
export const MAX_INPUT_FILES = 65_536;
export const MAX_PATH_BYTES = 4_096;

/**
 * Protocol: the deterministic call-stack budget, in abstract slots. Each call charges its
 * callee's frame estimate (see `frameSlots` in instrument/body.ts), so deep recursion ends as
 * `stack_overflow` at the same call on every machine, long before V8's native stack runs out.
 */
export const STACK_BUDGET_SLOTS = 1_048_576;
/** Host: bytes of native stack per slot the worker reserves (16 covers a v128 spill slot). */
export const NATIVE_STACK_BYTES_PER_SLOT = 16;
/** Host: worker stack, sized so the deterministic budget is always exhausted first, with headroom for the WASI host calls at the deepest frame. */
export const WORKER_STACK_MB = Math.ceil((STACK_BUDGET_SLOTS * NATIVE_STACK_BYTES_PER_SLOT * 2) / 1_048_576) + 8;

/** Protocol: fixed frame overhead in slots charged for every call (return address, frame pointer, instance, spills). */
export const FRAME_BASE_SLOTS = 8;
/**
 * Protocol: the WASI fuel rule (docs/PROTOCOL.md "Metering (fuel)"). Every call charges the base
 * plus per-unit costs for the host work it causes, all computable from its arguments (or from
 * state the guest cannot hide, like a directory's size) and charged before that work is done.
 * Each price keeps the host's wall time per fuel at or under ~8x plain wasm's (0.045 ns/fuel in
 * a thread, 0.11 through the pool, on the reference machine), so fuel bounds a run's time
 * whatever it calls. Measured with scripts/bench/sandbox/wasi-units.ts (ns a unit, ranges over
 * runs on a shared 2-core machine), checked with `BENCH_PARTS=hostile` of scripts/bench/sandbox.ts.
 *
 * The base: a bare call (sched_yield) costs 30-60 ns, but a call with one short path argument
 * 500-600 ns (decode, split, walk, stat) and a one-entry fd_readdir 450-600 ns, so the base
 * covers a call's fixed work whatever it is.
 */
export const FUEL_PER_HOST_CALL = 1_024;
/**
 * Protocol: fuel every memory.grow charges on top of 1024 a page, whether it succeeds or not.
 * Each grow costs the host 0.3-0.7 ms whatever its size (V8 replaces the memory's ArrayBuffer,
 * and its external-memory accounting runs a full GC every few dozen grows): measured 324-556 us
 * a grow for 2,000 one-page grows of a bare WebAssembly.Memory. At 1024 a page alone a module
 * growing one page at a time got ~700 ns a unit of fuel, ~3,000x plain wasm; this keeps it near
 * 2 ns. Allocators grow in chunks, so ordinary programs pay it tens to a few thousand times.
 */
export const FUEL_PER_MEMORY_GROW = 262_144;
/** Protocol: one unit of fuel per this many bytes moved by a WASI call or a bulk memory/table op. */
export const BYTES_PER_FUEL = 64;
/** Protocol: per iovec in a fd_read/fd_pread/fd_write/fd_pwrite list, empty or not: 5-14 ns one written, 8-31 ns one read (48 keeps reads under ~8x plain wasm, 32 left them at 9x). */
export const FUEL_PER_IOVEC = 48;
/** Protocol: per poll_oneoff subscription: 48-55 ns each (170 ns before its event stopped making a BigInt). */
export const FUEL_PER_SUBSCRIPTION = 256;
/** Protocol: per entry fd_readdir writes (in whole or truncated): 60-200 ns each in a 4 KiB buffer. */
export const FUEL_PER_DIRENT = 1_024;
/** Protocol: per entry of a directory fd_readdir lists for the first time since it changed (the sort): 60-300 ns each for 60k entries. */
export const FUEL_PER_SORTED_ENTRY = 1_024;
/** Protocol: per byte of a path argument: 2.5-5 ns each (decoded, split, hashed for the lookup). */
export const FUEL_PER_PATH_BYTE = 8;
/** Protocol: per path component walked, and per directory level climbed by the /output checks: 16-89 ns each ("./" to "a/" deep; 192 keeps deep paths under ~8x plain wasm, 128 left them at 10x). */
export const FUEL_PER_PATH_COMPONENT = 192;
/**
 * Protocol: per file or directory created: 1.6 us a mkdir in a thread, 5-8 us through the pool
 * (a node, its Map, the parent Map's growth, and their GC). Removal is not charged apart: every
 * removable node was created, and paid this.
 */
export const FUEL_PER_NODE = 16_384;
/** Protocol: per item of args_get/environ_get (its pointer, checked and written: ~10-20 ns). */
export const FUEL_PER_LIST_ITEM = 64;
/** Protocol: random_get charges one unit of fuel per this many bytes (a cipher, not a copy). */
export const RANDOM_BYTES_PER_FUEL = 1;
/** Protocol: at most this many descriptors are open at once; path_open past it returns MFILE. */
export const MAX_OPEN_FDS = 1_024;

/** Protocol: `clock_time_get` returns this for every clock (2024-01-01T00:00:00Z, in ns). */
export const FIXED_CLOCK_NS = 1_704_067_200_000_000_000n;
/** Protocol: `clock_res_get` returns this resolution, in ns. */
export const CLOCK_RESOLUTION_NS = 1_000n;

/** Host: default pool size, one worker per core but one, at least one. */
export const DEFAULT_POOL_SIZE_FN = (cores: number) => Math.max(1, cores - 1);
/** Host: jobs waiting for a worker beyond this are refused (backpressure). */
export const DEFAULT_MAX_QUEUED_JOBS = 256;
/** Host: per-worker heap limit on top of the job's memory cap, for V8's own structures. */
export const WORKER_HEAP_OVERHEAD_MB = 256;
