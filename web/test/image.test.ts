// The runs page's picture decoding (lib/image.ts): which outputs are images, and the Netpbm
// pictures the browser cannot show itself, decoded to the pixels a canvas draws. The PPM case is
// a tile rendered by the tiles example's own module in the reference sandbox.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, runJob } from "@accord/client/sandbox";
import { parseTile, png } from "../../examples/tiles/assemble.ts";
import { decodeNetpbm, MAX_IMAGE_PIXELS, sniffImage } from "../lib/image.ts";

const TILES = join(import.meta.dirname, "..", "..", "examples", "tiles");
const bytes = (s: string) => new TextEncoder().encode(s);
/** RGBA pixels back to RGB, to compare with what the assembler reads. */
const rgbOf = (rgba: Uint8ClampedArray) => Uint8Array.from(rgba.filter((_, i) => i % 4 !== 3));

describe("decodeNetpbm", () => {
  it("decodes a tile the tiles example renders to the very pixels its assembler places", async () => {
    const bundle = await runJob({
      module: readFileSync(join(TILES, "render.wasm")),
      args: ["render", "--size", "64", "--tiles", "4", "--iterations", "64", "6"],
      env: {},
      limits: { ...DEFAULT_LIMITS, fuel: 100_000_000, memoryPages: 64 },
      seed: new Uint8Array(32),
    });
    expect(bundle.status).toEqual({ kind: "exit", code: 0 });
    const tile = parseTile(bundle.stdout, "tile 6");
    expect(sniffImage(bundle.stdout)).toEqual({ kind: "netpbm", format: "P6" });
    const px = decodeNetpbm(bundle.stdout)!;
    expect([px.width, px.height]).toEqual([tile.w, tile.h]);
    expect(rgbOf(px.rgba)).toEqual(tile.rgb);
    expect(px.rgba.filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true);
    // Not a flat picture: the comparison above could not pass by accident.
    expect(new Set(tile.rgb).size).toBeGreaterThan(4);
  });

  it("reads ASCII and grey formats, comments anywhere in the header, and scales a maxval other than 255", () => {
    expect(rgbOf(decodeNetpbm(bytes("P3\n# two pixels\n2 1\n# max\n255\n255 0 0  0 128 255\n"))!.rgba)).toEqual(Uint8Array.from([255, 0, 0, 0, 128, 255]));
    expect(rgbOf(decodeNetpbm(bytes("P2 2 1 15 15 0"))!.rgba)).toEqual(Uint8Array.from([255, 255, 255, 0, 0, 0]));
    expect(rgbOf(decodeNetpbm(Uint8Array.from([...bytes("P5 1 2 255\n"), 7, 200]))!.rgba)).toEqual(Uint8Array.from([7, 7, 7, 200, 200, 200]));
    // 16-bit samples, big-endian: 65535 is white, 0x8000 about half.
    expect(rgbOf(decodeNetpbm(Uint8Array.from([...bytes("P6 1 1 65535\n"), 0xff, 0xff, 0x80, 0x00, 0, 0]))!.rgba)).toEqual(Uint8Array.from([255, 128, 0]));
  });

  it("refuses what is not a whole picture: a short raster, a missing size, a text that starts with P6, one too large to draw", () => {
    expect(decodeNetpbm(Uint8Array.from([...bytes("P6 2 2 255\n"), 1, 2, 3]))).toBeUndefined();
    expect(decodeNetpbm(bytes("P6\n255\n"))).toBeUndefined();
    expect(sniffImage(bytes("P6 is the sixth plan\n"))).toBeUndefined();
    expect(decodeNetpbm(bytes("P3 2 1 255 1 2 3 4 5"))).toBeUndefined();
    expect(decodeNetpbm(bytes(`P5 ${MAX_IMAGE_PIXELS + 1} 1 255\n`))).toBeUndefined();
  });
});

describe("sniffImage", () => {
  it("knows the formats the browser shows by their bytes, whatever the file is called", () => {
    expect(sniffImage(png(2, new Uint8Array(12)))).toEqual({ kind: "native", mime: "image/png" });
    expect(sniffImage(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toEqual({ kind: "native", mime: "image/jpeg" });
    expect(sniffImage(bytes("GIF89a\x01\x00"))).toEqual({ kind: "native", mime: "image/gif" });
    expect(sniffImage(bytes("RIFF\x10\x00\x00\x00WEBPVP8 "))).toEqual({ kind: "native", mime: "image/webp" });
    expect(sniffImage(bytes("RIFF\x10\x00\x00\x00WAVEfmt "))).toBeUndefined();
    expect(sniffImage(bytes("hello"))).toBeUndefined();
    expect(sniffImage(new Uint8Array())).toBeUndefined();
  });
});
