/**
 * The realistic workload fixtures (client/fixtures/wasm/{wordfreq,sha256,matmul,blur} in C and
 * Rust, used by `npm run bench:sandbox` for its over-native figure) on small inputs, each output
 * checked against a value computed here independently, so a module that computes the wrong
 * thing fails.
 */
import { createHash } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { noise, ppm, prose } from "../../fixtures/wasm/workloads.ts";
import { createSandboxPool } from "./pool.ts";
import { job, str } from "./testing.ts";

const pool = createSandboxPool({ size: 1 });
afterAll(() => pool.close());

const LIMITS = { fuel: 2_000_000_000, memoryPages: 1024 };
const VARIANTS = [
  ["C", ""],
  ["Rust", "-rs"],
] as const;

function wordfreq(text: Uint8Array, top: number): string {
  const words = new TextDecoder("latin1").decode(text).toLowerCase().match(/[a-z]+/g) ?? [];
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  const list = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `words ${words.length} unique ${list.length}\n${list.slice(0, top).map(([w, c]) => `${c} ${w}\n`).join("")}`;
}

function matmul(n: number): string {
  const a = new Float64Array(n * n);
  const b = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      a[i * n + j] = ((i * j + i + 1) % 17) / 8 - 1;
      b[i * n + j] = ((i + 2 * j) % 13) / 4 - 1.5;
    }
  }
  // Straight from the definition (j-outer, k-inner), not the fixtures' loop order: the values
  // are exact in a double, so the order must not matter.
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let c = 0;
      for (let k = 0; k < n; k++) c += a[i * n + k]! * b[k * n + j]!;
      sum += c * (((i + j) % 7) + 1);
    }
  }
  return `checksum ${Math.trunc(sum * 32)}\n`;
}

/** Box blur of radius r by the definition: each pass a clamped window mean, floored. */
function blur(image: Uint8Array, r: number): { ppm: Uint8Array; stdout: string } {
  const [, w, h] = new TextDecoder().decode(image.subarray(0, 32)).match(/^P6\s+(\d+)\s+(\d+)\s+255\s/)!.map(Number) as [number, number, number];
  const header = image.length - w * h * 3;
  const src = image.subarray(header);
  const pass = (from: Uint8Array, horizontal: boolean) => {
    const to = new Uint8Array(from.length);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < 3; ch++) {
          let sum = 0;
          for (let k = -r; k <= r; k++) {
            const xx = horizontal ? Math.min(w - 1, Math.max(0, x + k)) : x;
            const yy = horizontal ? y : Math.min(h - 1, Math.max(0, y + k));
            sum += from[(yy * w + xx) * 3 + ch]!;
          }
          to[(y * w + x) * 3 + ch] = Math.floor(sum / (2 * r + 1));
        }
      }
    }
    return to;
  };
  const out = pass(pass(src, true), false);
  let gray = 0;
  let fnv = 2166136261;
  for (let i = 0; i < out.length; i += 3) gray += (77 * out[i]! + 150 * out[i + 1]! + 29 * out[i + 2]!) >> 8;
  for (const b of out) fnv = Math.imul(fnv ^ b, 16777619) >>> 0;
  const head = new TextEncoder().encode(`P6\n${w} ${h}\n255\n`);
  const bytes = new Uint8Array(head.length + out.length);
  bytes.set(head);
  bytes.set(out, head.length);
  return { ppm: bytes, stdout: `size ${w} ${h}\nmean_gray ${Math.floor(gray / (w * h))}\nchecksum ${fnv.toString(16).padStart(8, "0")}\n` };
}

describe.each(VARIANTS)("realistic workloads in %s", (_lang, suffix) => {
  it("counts word frequencies", async () => {
    const text = prose(200_000, 3_000);
    const r = await pool.run(job(`wordfreq${suffix}`, { args: ["wordfreq", "/input/book.txt", "25"], inputs: { "book.txt": text }, limits: LIMITS }));
    expect(r.status).toEqual({ kind: "exit", code: 0 });
    expect(str(r.stdout)).toBe(wordfreq(text, 25));
  });

  it("hashes a file with SHA-256", async () => {
    for (const size of [0, 55, 56, 64, 65_536, 200_003]) {
      const data = noise(size, size + 1);
      const r = await pool.run(job(`sha256${suffix}`, { args: ["sha256", "/input/data.bin"], inputs: { "data.bin": data }, limits: LIMITS }));
      expect(r.status).toEqual({ kind: "exit", code: 0 });
      expect(str(r.stdout)).toBe(`${createHash("sha256").update(data).digest("hex")}\n`);
    }
  });

  it("multiplies matrices", async () => {
    const r = await pool.run(job(`matmul${suffix}`, { args: ["matmul", "61"], limits: LIMITS }));
    expect(r.status).toEqual({ kind: "exit", code: 0 });
    expect(str(r.stdout)).toBe(matmul(61));
  });

  it("blurs a PPM image into /output", async () => {
    const image = ppm(97, 41);
    const r = await pool.run(job(`blur${suffix}`, { args: ["blur", "/input/in.ppm", "/output/out.ppm", "3"], inputs: { "in.ppm": image }, limits: LIMITS }));
    expect(r.status).toEqual({ kind: "exit", code: 0 });
    const want = blur(image, 3);
    expect(str(r.stdout)).toBe(want.stdout);
    expect(Object.keys(r.files)).toEqual(["out.ppm"]);
    expect(Buffer.from(r.files["out.ppm"]!).equals(Buffer.from(want.ppm))).toBe(true);
  });
});
