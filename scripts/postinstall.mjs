// npm run by the system Node 20 silently drops optional native packages whose engines
// need Node >= 22 (Hardhat's EDR binary among them). When that happens, install once
// more with the Node 24 that the install just fetched, so a plain `npm install` on a
// fresh machine ends with a complete tree. The env guard keeps this from looping.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const root = process.cwd();
const node24 = join(root, "node_modules", "node", "bin", "node");
// This script itself runs on Node 24 (npm puts node_modules/.bin first on PATH), so ask
// the Node that runs npm, which is the one whose engine checks decided the tree.
const npmNode = process.env.npm_node_execpath || process.execPath;
const npmNodeVersion = spawnSync(npmNode, ["-p", "process.versions.node"], { encoding: "utf8" }).stdout.trim();
const major = Number(npmNodeVersion.split(".")[0]);

if (!(major < 22) || process.env.ACCORD_REINSTALL === "1") process.exit(0);
if (!existsSync(node24)) {
  console.error("postinstall: Node 24 (the 'node' devDependency) is missing; run `npm install` again.");
  process.exit(1);
}
const npmCli = process.env.npm_execpath;
if (!npmCli) process.exit(0);
console.log(`postinstall: npm ran on Node ${npmNodeVersion}; reinstalling with Node 24 so native optional packages are kept`);
const r = spawnSync(node24, [npmCli, "install", "--no-audit", "--no-fund"], {
  stdio: "inherit",
  env: { ...process.env, ACCORD_REINSTALL: "1" },
});
process.exit(r.status ?? 1);
