#!/usr/bin/env node
// Node 24 runs the TypeScript sources directly (type stripping).
import { main } from "../src/cli/main.ts";

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`error: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
