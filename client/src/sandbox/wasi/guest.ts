/**
 * Tiny WASI command modules built in code, for tests and flood measurements that need a real
 * guest calling one host function many times (clang cannot be assumed in CI). Not part of the
 * public API.
 */
import { Writer } from "../wasm/reader.ts";
import { WASI_MODULE, WASI_SIGNATURES } from "./signatures.ts";

export type GuestOptions = {
  /** The WASI function called on every iteration, and its arguments (bigint for an i64). */
  call: string;
  args: (number | bigint)[];
  /** Iterations before `_start` returns; fuel usually ends a flood first. */
  times?: number;
  memoryPages?: number;
  /** Bytes placed in memory before the run, by address. */
  data?: [number, Uint8Array][];
  /** Before each call, a fresh 4-byte ASCII name (from the iteration count) is stored here. */
  nameAt?: number;
};

const I32 = 0x7f;
const I64 = 0x7e;
const utf8 = (s: string) => [...new TextEncoder().encode(s)];
const name = (s: string) => [utf8(s).length, ...utf8(s)];

function leb(v: number): number[] {
  const w = new Writer();
  w.u32(v);
  return [...w.finish()];
}

function sleb(v: bigint): number[] {
  const w = new Writer();
  w.s64(v);
  return [...w.finish()];
}

/**
 * A command whose `_start` calls `call(args)` `times` times and stops early with
 * proc_exit(errno) at the first call that does not return 0.
 */
export function guestModule({ call, args, times = 0xffff_ffff, memoryPages = 1, data = [], nameAt }: GuestOptions): Uint8Array {
  const sig = WASI_SIGNATURES[call];
  if (!sig) throw new Error(`${call} is not a WASI function`);
  const [params, results] = sig.split("→") as [string, string];
  const code = (c: string) => (c === "I" ? I64 : I32);
  const w = new Writer();
  w.bytes([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  const section = (id: number, payload: number[]) => w.byte(id).u32(payload.length).bytes(payload);
  section(1, [
    3,
    0x60, params.length, ...[...params].map(code), results.length, ...[...results].map(code), // 0: the call
    0x60, 1, I32, 0, // 1: proc_exit
    0x60, 0, 0, // 2: _start
  ]);
  section(2, [2, ...name(WASI_MODULE), ...name(call), 0, 0, ...name(WASI_MODULE), ...name("proc_exit"), 0, 1]);
  section(3, [1, 2]);
  section(5, [1, 0, ...leb(memoryPages)]);
  section(7, [2, ...name("_start"), 0, 2, ...name("memory"), 2, 0]);
  const body: number[] = [1, 2, I32]; // locals: i (0), errno (1)
  body.push(0x03, 0x40); // loop
  if (nameAt !== undefined) {
    // Each byte of the name is 0x30 + 6 bits of i: never "/" or ".".
    body.push(0x41, ...sleb(BigInt(nameAt)), 0x20, 0, 0x41, 63, 0x71);
    for (const shift of [6, 12, 18]) body.push(0x20, 0, 0x41, shift, 0x76, 0x41, 63, 0x71, 0x41, (shift / 6) * 8, 0x74, 0x72);
    body.push(0x41, ...sleb(0x30303030n), 0x6a, 0x36, 2, 0);
  }
  args.forEach((a, k) => body.push(...(params[k] === "I" ? [0x42, ...sleb(BigInt(a))] : [0x41, ...sleb(BigInt(a))])));
  body.push(0x10, 0); // call
  if (results.length) body.push(0x22, 1, 0x04, 0x40, 0x20, 1, 0x10, 1, 0x0b); // errno: proc_exit(errno)
  body.push(0x20, 0, 0x41, 1, 0x6a, 0x22, 0, 0x41, ...sleb(BigInt(times | 0)), 0x49, 0x0d, 0, 0x0b, 0x0b);
  section(10, [1, ...leb(body.length), ...body]);
  if (data.length) {
    const segs = data.flatMap(([at, bytes]) => [0, 0x41, ...sleb(BigInt(at)), 0x0b, ...leb(bytes.length), ...bytes]);
    section(11, [data.length, ...segs]);
  }
  return w.finish();
}
