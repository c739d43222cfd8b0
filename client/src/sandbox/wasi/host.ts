/**
 * WASI preview 1, implemented in memory. Each function is a pure function of the job and of
 * what the module did before: no host file system, network, threads or real clock. Every call
 * is charged fuel before it does its work, so host-side effort is metered too.
 */
import { chacha20 } from "@noble/ciphers/chacha.js";
import { CLOCK_RESOLUTION_NS, FIXED_CLOCK_NS } from "../constants.ts";
import { CLOCKS, ERRNO, EVENTTYPE } from "./errno.ts";
import { WasiFiles, type WasiHostOptions } from "./files.ts";
import { compareUtf8, Errno, RunEnd } from "./fs.ts";
import { WASI_SIGNATURES } from "./signatures.ts";

const encoder = new TextEncoder();
const RANDOM_CHUNK_BYTES = 4096;

export class WasiHost extends WasiFiles {
  private readonly args: Uint8Array[];
  private readonly env: Uint8Array[];
  private readonly seed: Uint8Array;
  private random = new Uint8Array(0);
  private randomPos = 0;
  private randomCounter = 0;

  constructor(opts: WasiHostOptions) {
    super(opts);
    const { job } = opts;
    this.args = job.args.map((a) => encoder.encode(`${a}\0`));
    this.env = Object.keys(job.env).sort(compareUtf8).map((k) => encoder.encode(`${k}=${job.env[k]}\0`));
    this.seed = job.seed;
  }

  /** The import object: every WASI function, each returning an errno instead of throwing. */
  imports(): Record<string, (...args: never[]) => unknown> {
    const out: Record<string, (...args: never[]) => unknown> = {};
    for (const name of Object.keys(WASI_SIGNATURES)) {
      const fn = (this as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!.bind(this);
      out[name] = (...args: unknown[]) => {
        try {
          return fn(...args);
        } catch (err) {
          if (err instanceof Errno) return err.code;
          throw err;
        }
      };
    }
    return out;
  }

  // --- args, environment, clocks, randomness, process ---

  private writeList(list: Uint8Array[], ptrs: number, buf: number): number {
    this.pay(list.reduce((s, b) => s + b.length, 0));
    let p = buf;
    for (const [i, item] of list.entries()) {
      this.memory.u32At(ptrs + 4 * i, p);
      this.memory.bytes(p, item.length).set(item);
      p += item.length;
    }
    return ERRNO.SUCCESS;
  }

  private sizes(list: Uint8Array[], countPtr: number, sizePtr: number): number {
    this.pay(0);
    this.memory.u32At(countPtr, list.length);
    this.memory.u32At(sizePtr, list.reduce((s, b) => s + b.length, 0));
    return ERRNO.SUCCESS;
  }

  args_get(argv: number, buf: number) { return this.writeList(this.args, argv, buf); }
  args_sizes_get(count: number, size: number) { return this.sizes(this.args, count, size); }
  environ_get(environ: number, buf: number) { return this.writeList(this.env, environ, buf); }
  environ_sizes_get(count: number, size: number) { return this.sizes(this.env, count, size); }

  clock_res_get(id: number, out: number) {
    this.pay(0);
    if (id >>> 0 >= CLOCKS) return ERRNO.INVAL;
    this.memory.u64At(out, CLOCK_RESOLUTION_NS);
    return ERRNO.SUCCESS;
  }

  clock_time_get(id: number, _precision: bigint, out: number) {
    this.pay(0);
    if (id >>> 0 >= CLOCKS) return ERRNO.INVAL;
    this.memory.u64At(out, FIXED_CLOCK_NS);
    return ERRNO.SUCCESS;
  }

  /** Consecutive bytes of the ChaCha20 keystream keyed by the job's seed (nonce 0, counter from 0). */
  random_get(buf: number, len: number) {
    this.pay(len >>> 0);
    const dest = this.memory.bytes(buf, len);
    let filled = 0;
    while (filled < dest.length) {
      if (this.randomPos === this.random.length) {
        this.random = chacha20(this.seed, new Uint8Array(12), new Uint8Array(RANDOM_CHUNK_BYTES), undefined, this.randomCounter);
        this.randomCounter += RANDOM_CHUNK_BYTES / 64;
        this.randomPos = 0;
      }
      const n = Math.min(dest.length - filled, this.random.length - this.randomPos);
      dest.set(this.random.subarray(this.randomPos, this.randomPos + n), filled);
      this.randomPos += n;
      filled += n;
    }
    return ERRNO.SUCCESS;
  }

  proc_exit(code: number): never {
    throw new RunEnd({ kind: "exit", code: code >>> 0 });
  }

  proc_raise(_sig: number) { this.pay(0); return ERRNO.NOSYS; }
  sched_yield() { this.pay(0); return ERRNO.SUCCESS; }

  /** Every subscription is ready at once: the clock never moves, and all data is in memory. */
  poll_oneoff(input: number, output: number, count: number, neventsPtr: number) {
    this.pay(0);
    if (count >>> 0 === 0) return ERRNO.INVAL;
    for (let i = 0; i < count >>> 0; i++) {
      const sub = input + 48 * i;
      const ev = output + 32 * i;
      const tag = this.memory.getU8(sub + 8);
      this.memory.bytes(ev, 32).fill(0);
      this.memory.u64At(ev, this.memory.getU64(sub));
      this.memory.u8At(ev + 10, tag);
      if (tag === EVENTTYPE.FD_READ || tag === EVENTTYPE.FD_WRITE) {
        const fd = this.fds.get(this.memory.getU32(sub + 16));
        if (!fd) this.memory.u16At(ev + 8, ERRNO.BADF);
        else if (tag === EVENTTYPE.FD_READ) this.memory.u64At(ev + 16, this.readable(fd));
      } else if (tag !== EVENTTYPE.CLOCK) {
        this.memory.u16At(ev + 8, ERRNO.INVAL);
      }
    }
    this.memory.u32At(neventsPtr, count);
    return ERRNO.SUCCESS;
  }

  sock_accept() { this.pay(0); return ERRNO.NOTSUP; }
  sock_recv() { this.pay(0); return ERRNO.NOTSUP; }
  sock_send() { this.pay(0); return ERRNO.NOTSUP; }
  sock_shutdown() { this.pay(0); return ERRNO.NOTSUP; }
}


export type { WasiHostOptions };
