// What one package may take from another: the client's declared subpaths only (its `internal/`
// folders are nobody else's business), and only packages its own package.json declares, so that
// installing one workspace alone gives it everything it imports.
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { importsOf, packageName, readWorkspaces, repoRoot, resolveRelative, sourceFiles, subpathOf, workspaceOf, type ImportSite } from "./boundaries/imports.ts";

const workspaces = readWorkspaces(repoRoot);
const client = workspaces.find((w) => w.name === "@accord/client")!;
const root = workspaces.find((w) => w.dir === ".")!;
const files = sourceFiles(repoRoot);
const sites = files.flatMap((f) => importsOf(repoRoot, f));
const where = (s: ImportSite) => `${s.file}:${s.line} imports "${s.specifier}"`;
const outsideClient = sites.filter((s) => !s.file.startsWith(`${client.dir}/`));
// Tests of every workspace run under the root's vitest, so they may use the root's tools.
const isTest = (file: string) => /\.test\.tsx?$/.test(file) || /(^|\/)test\//.test(file);

describe("package boundaries", () => {
  it("reads the sources it checks", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(client.exports.has(".")).toBe(true);
  });

  it("imports @accord/client only through the subpaths its package.json exports", () => {
    const bad = outsideClient.filter((s) => packageName(s.specifier) === client.name && !client.exports.has(subpathOf(s.specifier, client.name)));
    expect(bad.map(where), `declared subpaths: ${[...client.exports].join(", ")}`).toEqual([]);
  });

  it("reaches into client/src by path only from the root's tests and scripts, and never into internal/", () => {
    const bad = outsideClient.filter((s) => {
      if (!s.specifier.startsWith(".")) return false;
      const target = resolveRelative(s.file, s.specifier);
      if (!target.startsWith(`${client.dir}/src/`)) return false;
      return workspaceOf(workspaces, s.file) !== root || target.split("/").includes("internal");
    });
    expect(bad.map(where)).toEqual([]);
  });

  it("imports only packages its own package.json declares", () => {
    const bad = sites.filter((s) => {
      const name = packageName(s.specifier);
      const w = workspaceOf(workspaces, s.file);
      if (!name || name === w.name || w.declared.has(name)) return false;
      return !(isTest(s.file) && root.declared.has(name));
    });
    expect(bad.map((s) => `${where(s)}, which ${workspaceOf(workspaces, s.file).dir}/package.json does not declare`)).toEqual([]);
  });

  it("keeps the chain actions (@accord/client/actions/chain) free of Node and the content network, so browsers and wagmi apps can load them", () => {
    const entry = `${client.dir}/src/actions/chain/index.ts`;
    const seen = new Set<string>();
    const reached: ImportSite[] = [];
    for (const stack = [entry]; stack.length; ) {
      const file = stack.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const s of importsOf(repoRoot, file)) {
        reached.push(s);
        const target = s.specifier.startsWith(".") ? resolveRelative(file, s.specifier) : undefined;
        if (target && existsSync(join(repoRoot, target))) stack.push(target);
      }
    }
    expect(seen.size).toBeGreaterThan(10);
    const bad = reached.filter((s) => {
      const target = s.specifier.startsWith(".") ? resolveRelative(s.file, s.specifier) : "";
      return /^node:/.test(s.specifier) || /^(libp2p|helia|@libp2p\/|@helia\/|@chainsafe\/|datastore-|blockstore-)/.test(s.specifier) || /\/src\/(client|deployments)\.ts$|\/src\/(net|sandbox|seal)\//.test(target);
    });
    expect(bad.map(where)).toEqual([]);
  });
});
