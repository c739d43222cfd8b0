import { createRequire } from "node:module";
import type { HardhatUserConfig } from "hardhat/config";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatIgnitionViem from "@nomicfoundation/hardhat-ignition-viem";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";

const require = createRequire(import.meta.url);

// Compile offline: Hardhat downloads solc unless `path` points at a compiler, and a path
// that is not a native binary is run as solc-js, so the npm `solc` package serves.
const solc = {
  version: require("solc/package.json").version as string,
  path: require.resolve("solc/soljson.js"),
};

// Deep fuzzing in a separate script (`npm run fuzz:deep`); `npm test` keeps to the
// 256 runs x depth 50 the foundation issue asks for.
const deep = process.env.ACCORD_FUZZ === "deep";

const config: HardhatUserConfig = {
  plugins: [hardhatViem, hardhatIgnitionViem, hardhatNetworkHelpers],
  solidity: {
    profiles: {
      default: {
        ...solc,
        settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun", viaIR: true },
      },
    },
  },
  paths: {
    sources: "./contracts",
    tests: { solidity: "./contracts/test" },
  },
  test: {
    solidity: {
      fuzz: { runs: deep ? 5_000 : 256, seed: deep ? undefined : "0x4163636f7264" },
      invariant: { runs: deep ? 1_024 : 256, depth: deep ? 200 : 50, failOnRevert: false },
    },
  },
  networks: {
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    remote: {
      type: "http",
      chainType: "generic",
      url: process.env.ACCORD_RPC_URL ?? "http://127.0.0.1:8545",
      accounts: process.env.ACCORD_DEPLOYER_KEY ? [process.env.ACCORD_DEPLOYER_KEY] : [],
    },
  },
};

export default config;
