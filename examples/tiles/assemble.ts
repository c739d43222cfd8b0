// Assembles the verified tiles of `accord run examples/tiles/tiles.json` into one PNG.
// usage: node examples/tiles/assemble.ts <results folder> <picture.png>
// Each tile is <folder>/<task>/stdout, a PPM whose "# accord-tile X Y N" comment says where it
// goes in the N x N picture; a missing or overlapping tile is an error, not a hole.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";

type Tile = { x: number; y: number; size: number; w: number; h: number; rgb: Uint8Array; from: string };

/** Parses a binary PPM (P6) with the renderer's placement comment. */
export function parseTile(bytes: Uint8Array, from: string): Tile {
  const text = new TextDecoder("latin1").decode(bytes.subarray(0, Math.min(bytes.length, 200)));
  const m = /^P6\n# accord-tile (\d+) (\d+) (\d+)\n(\d+) (\d+)\n255\n/.exec(text);
  if (!m) throw new Error(`${from} is not a tile of the renderer (a P6 PPM with an "# accord-tile X Y N" line)`);
  const [x, y, size, w, h] = m.slice(1).map(Number) as [number, number, number, number, number];
  const rgb = bytes.subarray(m[0].length);
  if (rgb.length !== w * h * 3) throw new Error(`${from} holds ${rgb.length} bytes of pixels, not ${w * h * 3}`);
  return { x, y, size, w, h, rgb, from };
}

/** The tiles as one RGB picture; every pixel must come from exactly one tile. */
export function assemble(tiles: Tile[]): { size: number; rgb: Uint8Array } {
  if (tiles.length === 0) throw new Error("no tiles to assemble");
  const size = tiles[0]!.size;
  const rgb = new Uint8Array(size * size * 3);
  const covered = new Uint8Array(size * size);
  for (const t of tiles) {
    if (t.size !== size) throw new Error(`${t.from} belongs to a ${t.size}-pixel picture, the others to a ${size}-pixel one`);
    for (let row = 0; row < t.h; row++) {
      const y = t.y + row;
      for (let col = 0; col < t.w; col++) {
        const p = y * size + t.x + col;
        if (covered[p]++) throw new Error(`${t.from} overlaps another tile at (${t.x + col}, ${y})`);
      }
      rgb.set(t.rgb.subarray(row * t.w * 3, (row + 1) * t.w * 3), (y * size + t.x) * 3);
    }
  }
  const hole = covered.indexOf(0);
  if (hole >= 0) throw new Error(`no tile covers pixel (${hole % size}, ${Math.floor(hole / size)}): a tile is missing`);
  return { size, rgb };
}

/** A truecolour PNG: filter byte 0 per row, one zlib stream, CRC-32 per chunk. */
export function png(size: number, rgb: Uint8Array): Uint8Array {
  const raw = new Uint8Array(size * (size * 3 + 1));
  for (let y = 0; y < size; y++) raw.set(rgb.subarray(y * size * 3, (y + 1) * size * 3), y * (size * 3 + 1) + 1);
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, "latin1");
    out.set(data, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, deflate, no filter method, no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array())]);
}

if (import.meta.main) {
  const [dir, outFile] = process.argv.slice(2);
  if (!dir || !outFile) {
    process.stderr.write("usage: node examples/tiles/assemble.ts <results folder> <picture.png>\n");
    process.exit(2);
  }
  const tiles: Tile[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = join(dir, entry.name, "stdout");
    tiles.push(parseTile(new Uint8Array(await readFile(file)), file));
  }
  const { size, rgb } = assemble(tiles);
  await writeFile(outFile, png(size, rgb));
  process.stderr.write(`assembled ${tiles.length} tiles into ${outFile} (${size} x ${size})\n`);
}
