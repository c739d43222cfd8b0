/** Bounds-checked access to the module's linear memory from host functions. */
import { ERRNO } from "./errno.ts";
import { Errno } from "./fs.ts";

export class GuestMemory {
  private memory?: WebAssembly.Memory;
  private buffer?: ArrayBuffer;
  private view!: DataView;
  private u8!: Uint8Array;

  bind(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  /** Views are rebuilt whenever memory.grow replaced the buffer. */
  private refresh(): void {
    if (!this.memory) throw new Errno(ERRNO.FAULT);
    if (this.buffer !== this.memory.buffer) {
      this.buffer = this.memory.buffer as ArrayBuffer;
      this.view = new DataView(this.buffer);
      this.u8 = new Uint8Array(this.buffer);
    }
  }

  check(ptr: number, len: number): void {
    this.refresh();
    if (ptr < 0 || len < 0 || ptr + len > this.u8.length) throw new Errno(ERRNO.FAULT);
  }

  bytes(ptr: number, len: number): Uint8Array {
    this.check(ptr >>> 0, len >>> 0);
    return this.u8.subarray(ptr >>> 0, (ptr >>> 0) + (len >>> 0));
  }

  u8At(ptr: number, v: number): void { this.check(ptr >>> 0, 1); this.view.setUint8(ptr >>> 0, v); }
  u16At(ptr: number, v: number): void { this.check(ptr >>> 0, 2); this.view.setUint16(ptr >>> 0, v, true); }
  u32At(ptr: number, v: number): void { this.check(ptr >>> 0, 4); this.view.setUint32(ptr >>> 0, v, true); }
  u64At(ptr: number, v: bigint | number): void { this.check(ptr >>> 0, 8); this.view.setBigUint64(ptr >>> 0, BigInt(v), true); }
  getU8(ptr: number): number { this.check(ptr >>> 0, 1); return this.view.getUint8(ptr >>> 0); }
  getU16(ptr: number): number { this.check(ptr >>> 0, 2); return this.view.getUint16(ptr >>> 0, true); }
  getU32(ptr: number): number { this.check(ptr >>> 0, 4); return this.view.getUint32(ptr >>> 0, true); }
  getU64(ptr: number): bigint { this.check(ptr >>> 0, 8); return this.view.getBigUint64(ptr >>> 0, true); }

  string(ptr: number, len: number): string {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.bytes(ptr, len));
    } catch (err) {
      if (err instanceof Errno) throw err;
      throw new Errno(ERRNO.INVAL); // WASI paths are UTF-8
    }
  }

  /** The iovec list (buf, len) at `iovs`. */
  iovecs(iovs: number, count: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < count >>> 0; i++) out.push(this.bytes(this.getU32(iovs + 8 * i), this.getU32(iovs + 8 * i + 4)));
    return out;
  }
}
