#!/usr/bin/env node
// Node 24 runs the TypeScript sources directly (type stripping). Node's compile cache keeps the
// stripped and compiled code of every module on disk (os.tmpdir()/node-compile-cache, or
// NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off), so a start after the first
// skips that work. It must be on before the CLI loads, hence the dynamic import.
import module from "node:module";

module.enableCompileCache?.();
const { main } = await import("../src/cli/main.ts");

// The cache is written when the process ends normally; process.exit() skips that, so flush first.
const exit = (code) => {
  module.flushCompileCache?.();
  process.exit(code);
};
main(process.argv.slice(2)).then(exit, (err) => {
  process.stderr.write(`error: ${err?.stack ?? err}\n`);
  exit(1);
});
