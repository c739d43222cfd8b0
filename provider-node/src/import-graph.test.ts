// The provider's modules import each other in one direction only: a circle (the job steps and
// their handlers once imported each other) means no file can be read, tested or moved without
// the others. Read from the source with TypeScript's own import scanner, type-only imports too.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = dirname(fileURLToPath(import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Each file's imports of other files in this package. */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  return new Map(
    files.map((file) => {
      const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
      const local = importedFiles.map((f) => f.fileName).filter((name) => name.startsWith(".")).map((name) => resolve(dirname(file), name));
      return [file, local.filter((f) => known.has(f))];
    }),
  );
}

/** The circles in the graph, each as the files along it (one per strongly connected part found by depth-first search). */
function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

describe("provider-node's import graph", () => {
  it("reads the imports it checks: the job driver imports the steps, which import the phase handlers", () => {
    const graph = importGraph(sourceFiles(SRC));
    const of = (file: string) => (graph.get(join(SRC, file)) ?? []).map((f) => relative(SRC, f));
    expect(of("jobs/driver.ts")).toContain("jobs/steps.ts");
    expect(of("jobs/steps.ts")).toEqual(expect.arrayContaining(["jobs/evaluate.ts", "jobs/bid.ts", "jobs/run.ts", "jobs/commit.ts", "jobs/reveal.ts"]));
    expect(of("jobs/reveal.ts")).toContain("jobs/seal.ts");
  });

  it("has no circle", () => {
    const found = circles(importGraph(sourceFiles(SRC))).map((c) => c.map((f) => relative(SRC, f)).join(" -> "));
    expect(found, "break each circle by moving what both files need into a module that both import").toEqual([]);
  });

  it("finds a circle where there is one", () => {
    const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
    expect(circles(graph)).toEqual([["a", "b", "c", "a"]]);
  });
});
