import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { InvalidPeerKeyError } from "./errors.ts";

/**
 * Loads the node's Ed25519 identity from `path`, creating it on first start. The peer id
 * is what providers register on-chain and what the DHT remembers, so it must survive
 * restarts. The file is the libp2p protobuf form, readable only by its owner.
 */
export async function loadOrCreatePeerKey(path: string): Promise<PrivateKey> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new InvalidPeerKeyError(path, err);
  }
  if (bytes) {
    try {
      return privateKeyFromProtobuf(bytes);
    } catch (err) {
      throw new InvalidPeerKeyError(path, err);
    }
  }
  const key = await generateKeyPair("Ed25519");
  await mkdir(dirname(path), { recursive: true });
  // Write then rename so a crash never leaves a half-written identity behind.
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, privateKeyToProtobuf(key), { mode: 0o600 });
  await rename(tmp, path);
  return key;
}
