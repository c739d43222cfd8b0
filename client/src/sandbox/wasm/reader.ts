/** A bounds-checked cursor over WebAssembly binary data (LEB128 as the spec defines it). */
import { MalformedModuleError } from "../errors.ts";

export class Reader {
  readonly bytes: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(bytes: Uint8Array, pos = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(what: string): never {
    throw new MalformedModuleError(`${what} at byte ${this.pos}`);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail("unexpected end");
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128 up to 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.u8();
      if (shift === 28 && b > 0x0f) this.fail("u32 out of range");
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }

  /** Skips a signed LEB128 of at most `bits` bits. */
  skipSigned(bits: number): void {
    const maxBytes = Math.ceil(bits / 7);
    for (let i = 0; i < maxBytes; i++) if ((this.u8() & 0x80) === 0) return;
    this.fail(`s${bits} too long`);
  }

  /** A signed 33-bit LEB128 (block types), as a JS number. */
  s33(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      if (shift > 35) this.fail("s33 too long");
      b = this.u8();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    if (b & 0x40) result -= 2 ** shift;
    return result;
  }

  skip(n: number): void {
    if (this.pos + n > this.end) this.fail("unexpected end");
    this.pos += n;
  }

  take(n: number): Uint8Array {
    const start = this.pos;
    this.skip(n);
    return this.bytes.subarray(start, this.pos);
  }

  name(): string {
    const n = this.u32();
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.take(n));
    } catch {
      this.fail("name is not UTF-8");
    }
  }
}

/** Appends WebAssembly encodings to a growing buffer. */
export class Writer {
  private buf: Uint8Array;
  length = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): this {
    this.ensure(1);
    this.buf[this.length++] = b;
    return this;
  }

  u32(value: number): this {
    let v = value >>> 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
    return this;
  }

  s64(value: bigint): this {
    let v = value;
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  s32(value: number): this {
    let v = value | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  bytes(data: ArrayLike<number>): this {
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
    return this;
  }

  name(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u32(b.length).bytes(b);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
