/**
 * WASI preview 1, implemented in memory. Each function is a pure function of the job and of
 * what the module did before: no host file system, network, threads or real clock. Every call
 * is charged fuel before it does its work (see constants.ts for the rule), so host-side effort
 * is metered too.
 */
import { type Cipheriv, createCipheriv } from "node:crypto";
import { CLOCK_RESOLUTION_NS, FIXED_CLOCK_NS, FUEL_PER_LIST_ITEM, FUEL_PER_SUBSCRIPTION, RANDOM_BYTES_PER_FUEL } from "../constants.ts";
import { CLOCKS, ERRNO, EVENTTYPE } from "./errno.ts";
import type { Fd, WasiHostOptions } from "./fds.ts";
import { Errno, RunEnd, sortUtf8 } from "./fs.ts";
import { WasiPaths } from "./paths.ts";
import { RIGHT } from "./rights.ts";
import { WASI_SIGNATURES } from "./signatures.ts";

const encoder = new TextEncoder();
const RANDOM_CHUNK_BYTES = 65_536;
const ZEROS = new Uint8Array(RANDOM_CHUNK_BYTES);

/** An args or environ list, laid out once: its strings back to back, and where each starts. */
type StringList = { bytes: Uint8Array; offsets: Uint32Array };

function stringList(items: string[]): StringList {
  const encoded = items.map((s) => encoder.encode(`${s}\0`));
  const offsets = new Uint32Array(encoded.length);
  const bytes = new Uint8Array(encoded.reduce((n, b) => n + b.length, 0));
  let at = 0;
  encoded.forEach((b, i) => {
    offsets[i] = at;
    bytes.set(b, at);
    at += b.length;
  });
  return { bytes, offsets };
}

export class WasiHost extends WasiPaths {
  private readonly args: StringList;
  private readonly env: StringList;
  /** ChaCha20 (RFC 8439) keyed by the seed, nonce 0, counter from 0: OpenSSL's "chacha20" takes counter || nonce as its IV. */
  private readonly keystream: Cipheriv;
  private random = new Uint8Array(0);
  private randomPos = 0;

  constructor(opts: WasiHostOptions) {
    super(opts);
    const { job } = opts;
    this.args = stringList(job.args);
    this.env = stringList(sortUtf8(Object.keys(job.env)).map((k) => `${k}=${job.env[k]}`));
    this.keystream = createCipheriv("chacha20", job.seed, new Uint8Array(16));
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

  private writeList(list: StringList, ptrs: number, buf: number): number {
    this.pay(list.bytes.length + 4 * list.offsets.length, list.offsets.length * FUEL_PER_LIST_ITEM);
    this.memory.check(ptrs, 4 * list.offsets.length);
    this.memory.bytes(buf, list.bytes.length).set(list.bytes);
    for (let i = 0; i < list.offsets.length; i++) this.memory.u32At(ptrs + 4 * i, (buf >>> 0) + list.offsets[i]!);
    return ERRNO.SUCCESS;
  }

  private sizes(list: StringList, countPtr: number, sizePtr: number): number {
    this.pay();
    this.memory.u32At(countPtr, list.offsets.length);
    this.memory.u32At(sizePtr, list.bytes.length);
    return ERRNO.SUCCESS;
  }

  args_get(argv: number, buf: number) { return this.writeList(this.args, argv, buf); }
  args_sizes_get(count: number, size: number) { return this.sizes(this.args, count, size); }
  environ_get(environ: number, buf: number) { return this.writeList(this.env, environ, buf); }
  environ_sizes_get(count: number, size: number) { return this.sizes(this.env, count, size); }

  clock_res_get(id: number, out: number) {
    this.pay();
    if (id >>> 0 >= CLOCKS) return ERRNO.INVAL;
    this.memory.u64At(out, CLOCK_RESOLUTION_NS);
    return ERRNO.SUCCESS;
  }

  clock_time_get(id: number, _precision: bigint, out: number) {
    this.pay();
    if (id >>> 0 >= CLOCKS) return ERRNO.INVAL;
    this.memory.u64At(out, FIXED_CLOCK_NS);
    return ERRNO.SUCCESS;
  }

  /** Consecutive bytes of the job's keystream; a cipher costs more per byte than a copy. */
  random_get(buf: number, len: number) {
    this.pay(0, Math.ceil((len >>> 0) / RANDOM_BYTES_PER_FUEL));
    const dest = this.memory.bytes(buf, len);
    let filled = 0;
    while (filled < dest.length) {
      if (this.randomPos === this.random.length) {
        this.random = this.keystream.update(ZEROS);
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
    this.pay();
    throw new RunEnd({ kind: "exit", code: code >>> 0 });
  }

  proc_raise(_sig: number) { this.pay(); return ERRNO.NOSYS; }
  sched_yield() { this.pay(); return ERRNO.SUCCESS; }

  /**
   * Every subscription is ready at once: the clock never moves, and all data is in memory. An
   * fd subscription's event carries BADF for a closed descriptor and NOTCAPABLE when it lacks
   * POLL_FD_READWRITE with FD_READ (or FD_WRITE).
   */
  poll_oneoff(input: number, output: number, count: number, neventsPtr: number) {
    const n = count >>> 0;
    this.pay(0, n * FUEL_PER_SUBSCRIPTION);
    if (n === 0) return ERRNO.INVAL;
    this.memory.check(input, n * 48);
    this.memory.check(output, n * 32);
    this.memory.check(neventsPtr, 4);
    const { u8, view } = this.memory;
    for (let i = 0; i < n; i++) {
      const sub = (input >>> 0) + 48 * i;
      const ev = (output >>> 0) + 32 * i;
      const tag = u8[sub + 8]!;
      const a = view.getUint32(sub, true);
      const b = view.getUint32(sub + 4, true);
      const fdOrClock = view.getUint32(sub + 16, true);
      u8.fill(0, ev, ev + 32);
      view.setUint32(ev, a, true);
      view.setUint32(ev + 4, b, true);
      u8[ev + 10] = tag;
      let error: number = ERRNO.SUCCESS;
      if (tag === EVENTTYPE.CLOCK) {
        if (fdOrClock >= CLOCKS) error = ERRNO.INVAL;
      } else if (tag === EVENTTYPE.FD_READ || tag === EVENTTYPE.FD_WRITE) {
        const fd = this.fds.get(fdOrClock);
        const need = RIGHT.POLL_FD_READWRITE | (tag === EVENTTYPE.FD_READ ? RIGHT.FD_READ : RIGHT.FD_WRITE);
        if (!fd) error = ERRNO.BADF;
        else if ((fd.base & need) !== need) error = ERRNO.NOTCAPABLE;
        else if (tag === EVENTTYPE.FD_READ) {
          // Two u32s, not a BigInt per subscription: the count is a safe integer.
          const bytes = this.readable(fd);
          view.setUint32(ev + 16, bytes >>> 0, true);
          view.setUint32(ev + 20, Math.floor(bytes / 4_294_967_296), true);
        }
      } else {
        error = ERRNO.INVAL;
      }
      view.setUint16(ev + 8, error, true);
    }
    view.setUint32(neventsPtr >>> 0, n, true);
    return ERRNO.SUCCESS;
  }

  private readable(fd: Fd): number {
    if (fd.kind === "file") return Math.max(0, fd.node.size - fd.pos);
    return fd.kind === "stdin" ? this.stdin.length - this.stdinPos : 0;
  }

  /** No descriptor is a socket: a closed one is BADF, any other NOTSOCK. */
  sock_accept(fd: number) { this.pay(); this.fd(fd); return ERRNO.NOTSOCK; }
  sock_recv(fd: number) { this.pay(); this.fd(fd); return ERRNO.NOTSOCK; }
  sock_send(fd: number) { this.pay(); this.fd(fd); return ERRNO.NOTSOCK; }
  sock_shutdown(fd: number) { this.pay(); this.fd(fd); return ERRNO.NOTSOCK; }
}

export type { WasiHostOptions };
