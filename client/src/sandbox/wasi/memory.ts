/** Bounds-checked access to the module's linear memory from host functions. */
import { MAX_PATH_BYTES } from "../constants.ts";
import { ERRNO } from "./errno.ts";
import { Errno } from "./fs.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });
const unsigned = (n: number) => (n < 0 ? n >>> 0 : n);

export class GuestMemory {
  private memory?: WebAssembly.Memory;
  u8!: Uint8Array;
  view!: DataView;

  bind(memory: WebAssembly.Memory): void {
    this.memory = memory;
    this.u8 = new Uint8Array(0);
  }

  /**
   * Views are rebuilt whenever memory.grow replaced the buffer. A grow detaches the old buffer,
   * which empties its views: testing the view's length spares asking the engine for
   * memory.buffer (a native call) on every access.
   */
  private refresh(): void {
    if (this.u8 !== undefined && this.u8.length !== 0) return;
    if (!this.memory) throw new Errno(ERRNO.FAULT);
    const buffer = this.memory.buffer as ArrayBuffer;
    this.view = new DataView(buffer);
    this.u8 = new Uint8Array(buffer);
  }

  /**
   * Throws FAULT unless [ptr, ptr + len) lies in memory. The guest passes u32s as i32s, so a
   * negative value means its unsigned reading; `len` may also be a host-computed size > 2^32.
   */
  check(ptr: number, len: number): void {
    this.refresh();
    if ((ptr >>> 0) + unsigned(len) > this.u8.length) throw new Errno(ERRNO.FAULT);
  }

  bytes(ptr: number, len: number): Uint8Array {
    this.check(ptr, len);
    return this.u8.subarray(ptr >>> 0, (ptr >>> 0) + unsigned(len));
  }

  zero(ptr: number, len: number): void {
    this.check(ptr, len);
    this.u8.fill(0, ptr >>> 0, (ptr >>> 0) + len);
  }

  u8At(ptr: number, v: number): void { this.check(ptr, 1); this.view.setUint8(ptr >>> 0, v); }
  u16At(ptr: number, v: number): void { this.check(ptr, 2); this.view.setUint16(ptr >>> 0, v, true); }
  u32At(ptr: number, v: number): void { this.check(ptr, 4); this.view.setUint32(ptr >>> 0, v, true); }
  /** Numbers (sizes, inodes, offsets: all safe integers) are written as two u32s, with no BigInt made. */
  u64At(ptr: number, v: bigint | number): void {
    this.check(ptr, 8);
    if (typeof v === "bigint") return this.view.setBigUint64(ptr >>> 0, v, true);
    this.view.setUint32(ptr >>> 0, v >>> 0, true);
    this.view.setUint32((ptr >>> 0) + 4, Math.floor(v / 4_294_967_296), true);
  }
  getU8(ptr: number): number { this.check(ptr, 1); return this.view.getUint8(ptr >>> 0); }
  getU16(ptr: number): number { this.check(ptr, 2); return this.view.getUint16(ptr >>> 0, true); }
  getU32(ptr: number): number { this.check(ptr, 4); return this.view.getUint32(ptr >>> 0, true); }
  getU64(ptr: number): bigint { this.check(ptr, 8); return this.view.getBigUint64(ptr >>> 0, true); }
  /** A u32 at an address already checked (e.g. inside an iovec list checked as a whole). */
  u32Checked(ptr: number): number { return this.view.getUint32(ptr, true); }

  /** A path argument: longer than MAX_PATH_BYTES is NAMETOOLONG before any byte is decoded. */
  path(ptr: number, len: number): string {
    if (len >>> 0 > MAX_PATH_BYTES) throw new Errno(ERRNO.NAMETOOLONG);
    try {
      return decoder.decode(this.bytes(ptr, len));
    } catch (err) {
      if (err instanceof Errno) throw err;
      throw new Errno(ERRNO.INVAL); // WASI paths are UTF-8
    }
  }

  /**
   * Checks the iovec list at `iovs` and every buffer it names, and returns their total length.
   * Reads the list in place: nothing is allocated per iovec.
   */
  iovecBytes(iovs: number, count: number): number {
    this.check(iovs, (count >>> 0) * 8);
    const size = this.u8.length;
    const view = this.view;
    let total = 0;
    for (let at = iovs >>> 0, end = at + (count >>> 0) * 8; at < end; at += 8) {
      const len = view.getUint32(at + 4, true);
      if (view.getUint32(at, true) + len > size) throw new Errno(ERRNO.FAULT);
      total += len;
    }
    return total;
  }
}
