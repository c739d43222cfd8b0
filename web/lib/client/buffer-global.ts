import { Buffer } from "buffer";

// @accord/client's envelope, manifest and CID code use Node's Buffer; browsers have none.
const g = globalThis as { Buffer?: typeof Buffer };
g.Buffer ??= Buffer;
