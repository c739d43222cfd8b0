#!/usr/bin/env node
// Node 24 runs the TypeScript sources directly (type stripping). Node's compile cache keeps the
// stripped and compiled code of every module on disk (os.tmpdir()/node-compile-cache, or
// NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off), so a start after the first
// skips that work. It must be on before the CLI loads, hence the dynamic import.
import module from "node:module";

module.enableCompileCache?.();
await import("../src/cli/main.ts");
