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
    // One CID class per server process. Bundled, multiformats is instantiated once per layer
    // (route handlers, server-rendered pages), and the content node, kept in globalThis, is built
    // by whichever layer uses it first: a CID parsed in another layer failed the UnixFS exporter's
    // `CID.asCID(cid) === cid` check ("Path must be string or CID"), so a page rendered on the
    // server never read a manifest's fuel limit, nor could it fetch anything else.
    "multiformats",
  ],
  // The workspace root holds the lockfile and the client package the app imports.
  turbopack: { root: join(here, "..") },
  outputFileTracingRoot: join(here, ".."),
  devIndicators: false,
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
