import { randomBytes } from "node:crypto";

export const MIB = 1024 * 1024;

/**
 * Random-looking bytes a MiB at a time: one random MiB, each copy stamped with its index
 * so no two blocks are equal (equal blocks would be deduplicated and never travel).
 */
const BASE_BLOCK = randomBytes(MIB);
export async function* payload(sizeMib: number, salt = 0): AsyncGenerator<Uint8Array> {
  for (let m = 0; m < sizeMib; m++) {
    const block = Uint8Array.from(BASE_BLOCK);
    new DataView(block.buffer).setUint32(0, m);
    // Content of another salt shares no block with this one (a receiver's warm-up, another run).
    new DataView(block.buffer).setUint32(4, salt);
    yield block;
  }
}
