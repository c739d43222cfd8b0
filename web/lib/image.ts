/**
 * Which outputs of a result are pictures, and how to show them. PNG, JPEG, GIF and WebP the
 * browser decodes itself (an <img> of the bytes); the Netpbm formats (PPM and PGM, which the tiles
 * example writes because a C program can emit them with printf) it cannot, so they are decoded
 * here into RGBA pixels for a canvas. Recognised by their bytes, never by a file name.
 */
export type ImageKind = { kind: "native"; mime: "image/png" | "image/jpeg" | "image/gif" | "image/webp" } | { kind: "netpbm"; format: "P2" | "P3" | "P5" | "P6" };

/** A picture larger than this (64 MiB of RGBA) is offered for download instead of drawn. */
export const MAX_IMAGE_PIXELS = 4096 * 4096;

const startsWith = (b: Uint8Array, sig: number[], at = 0) => b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

export function sniffImage(bytes: Uint8Array): ImageKind | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: "native", mime: "image/png" };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { kind: "native", mime: "image/jpeg" };
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return { kind: "native", mime: "image/gif" };
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return { kind: "native", mime: "image/webp" };
  // "P6" then whitespace: a text file that merely starts with P6 is not taken for a picture unless it decodes.
  if (bytes.length > 3 && bytes[0] === 0x50 && [0x32, 0x33, 0x35, 0x36].includes(bytes[1]!) && isSpace(bytes[2]!)) {
    const format = `P${String.fromCharCode(bytes[1]!)}` as "P2" | "P3" | "P5" | "P6";
    return decodeNetpbm(bytes) ? { kind: "netpbm", format } : undefined;
  }
  return undefined;
}

export type Pixels = { width: number; height: number; rgba: Uint8ClampedArray };

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;

/**
 * A PPM (P3, P6) or PGM (P2, P5) as RGBA, or undefined when the bytes are not a whole one.
 * Header: magic, width, height, maxval, separated by whitespace and `#` comments up to the end
 * of their line; a binary raster starts after one whitespace byte, in one byte per sample for a
 * maxval below 256, else two (big-endian). Samples are scaled to 0..255.
 */
export function decodeNetpbm(bytes: Uint8Array): Pixels | undefined {
  let i = 2;
  const token = (): number | undefined => {
    for (;;) {
      while (i < bytes.length && isSpace(bytes[i]!)) i++;
      if (bytes[i] !== 0x23) break;
      while (i < bytes.length && bytes[i] !== 0x0a && bytes[i] !== 0x0d) i++;
    }
    const start = i;
    while (i < bytes.length && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) i++;
    if (i === start || i - start > 9) return undefined;
    return Number(new TextDecoder().decode(bytes.subarray(start, i)));
  };
  if (bytes[0] !== 0x50) return undefined;
  const format = bytes[1];
  const colour = format === 0x33 || format === 0x36;
  const binary = format === 0x35 || format === 0x36;
  if (format !== 0x32 && format !== 0x33 && format !== 0x35 && format !== 0x36) return undefined;
  const width = token();
  const height = token();
  const maxval = token();
  if (!width || !height || !maxval || maxval > 65_535 || width * height > MAX_IMAGE_PIXELS) return undefined;
  const channels = colour ? 3 : 1;
  const samples = width * height * channels;
  const rgba = new Uint8ClampedArray(width * height * 4);
  const scale = (v: number) => (maxval === 255 ? v : Math.round((Math.min(v, maxval) * 255) / maxval));
  const put = (s: number, v: number) => {
    const p = Math.floor(s / channels) * 4;
    if (colour) rgba[p + (s % 3)] = scale(v);
    else rgba[p] = rgba[p + 1] = rgba[p + 2] = scale(v);
    if (s % channels === channels - 1) rgba[p + 3] = 255;
  };
  if (binary) {
    if (!isSpace(bytes[i] ?? 0)) return undefined;
    i++;
    const wide = maxval > 255;
    if (bytes.length - i < samples * (wide ? 2 : 1)) return undefined;
    for (let s = 0; s < samples; s++) put(s, wide ? (bytes[i + 2 * s]! << 8) | bytes[i + 2 * s + 1]! : bytes[i + s]!);
  } else {
    for (let s = 0; s < samples; s++) {
      const v = token();
      if (v === undefined) return undefined;
      put(s, v);
    }
  }
  return { width, height, rgba };
}
