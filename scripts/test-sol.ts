// Runs the Solidity tests (unit, fuzz, invariant) and records their counts in
// test-results/solidity.json, so .ci/run can add them to vitest's in its closing line.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";

const args = ["test", "solidity", ...process.argv.slice(2)];
const child = spawn("hardhat", args, { stdio: ["ignore", "pipe", "inherit"], env: process.env });
let out = "";
child.stdout.on("data", (chunk: Buffer) => {
  out += chunk.toString();
  process.stdout.write(chunk);
});
child.on("close", (code) => {
  const count = (word: string) => Number(out.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
  const passed = count("passing");
  const failed = count("failing") + (code !== 0 && count("failing") === 0 ? 1 : 0);
  mkdirSync("test-results", { recursive: true });
  writeFileSync("test-results/solidity.json", JSON.stringify({ passed, failed }) + "\n");
  process.exit(failed > 0 ? 1 : (code ?? 1));
});
