import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/** One import (static, dynamic or re-export) of a source file. */
export type ImportSite = { file: string; line: number; specifier: string };

/** A workspace: the folder holding its package.json, and what that file declares. */
export type Workspace = { dir: string; name: string; exports: Set<string>; declared: Set<string> };

const SOURCE = /\.(ts|tsx|mts|js|mjs)$/;
// Generated from the compiled contracts; imports nothing.
const SKIPPED = [/^client\/src\/generated\//, /(^|\/)node_modules\//, /(^|\/)\.next\//];

/** Source files git knows of (tracked, or new and not ignored), relative to `root`. */
export function sourceFiles(root: string): string[] {
  const out = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 });
  return out.split("\n").filter((f) => SOURCE.test(f) && !SKIPPED.some((re) => re.test(f)) && existsSync(join(root, f)));
}

/** Every module a file names, with the line it is named on. */
export function importsOf(root: string, file: string): ImportSite[] {
  const text = readFileSync(join(root, file), "utf8");
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((f) => ({ file, specifier: f.fileName, line: text.slice(0, f.pos).split("\n").length }));
}

export function readWorkspaces(root: string): Workspace[] {
  const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces?: string[] };
  return [".", ...(rootPkg.workspaces ?? [])].map((dir) => {
    const pkg = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as {
      name: string;
      exports?: Record<string, string> | string;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const exports = typeof pkg.exports === "string" ? { ".": pkg.exports } : (pkg.exports ?? {});
    return {
      dir,
      name: pkg.name,
      exports: new Set(Object.keys(exports)),
      declared: new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]),
    };
  });
}

/** The workspace a file belongs to: the deepest one whose folder holds it. */
export function workspaceOf(workspaces: Workspace[], file: string): Workspace {
  let best = workspaces.find((w) => w.dir === ".")!;
  for (const w of workspaces) if (w.dir !== "." && file.startsWith(`${w.dir}/`) && w.dir.length > best.dir.length) best = w;
  return best;
}

/** `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`; undefined for relative, builtin and aliased (`@/`) paths. */
export function packageName(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("@/") || specifier.startsWith("node:")) return undefined;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

/** The subpath a package import asks for: `@accord/client/chain` -> `./chain`. */
export function subpathOf(specifier: string, name: string): string {
  return specifier === name ? "." : `.${specifier.slice(name.length)}`;
}

/** Where a relative import lands, relative to `root`. */
export function resolveRelative(file: string, specifier: string): string {
  return relative(".", join(dirname(file), specifier)).split("\\").join("/");
}

export const repoRoot = resolve(import.meta.dirname, "../..");
