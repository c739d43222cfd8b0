import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

const here = dirname(fileURLToPath(import.meta.url));

const config: NextConfig = {
  // @accord/client ships TypeScript source with `.ts` import extensions; Next compiles it like app code.
  transpilePackages: ["@accord/client"],
  // The content node (libp2p, Helia, fs blockstore) runs in the Node server only and is loaded
  // as plain Node packages rather than bundled: they rely on Node's module resolution and native sockets.
  serverExternalPackages: [
    "libp2p",
    "helia",
    "@helia/bitswap",
    "@helia/unixfs",
    "@helia/libp2p",
    "@libp2p/tcp",
    "@libp2p/kad-dht",
    "@libp2p/identify",
    "@libp2p/ping",
    "@libp2p/crypto",
    "@libp2p/peer-id",
    "@chainsafe/libp2p-noise",
    "@chainsafe/libp2p-yamux",
    "blockstore-fs",
    "datastore-fs",
  ],
  // The workspace root holds the lockfile and the client package the app imports.
  turbopack: { root: join(here, "..") },
  outputFileTracingRoot: join(here, ".."),
  devIndicators: false,
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
