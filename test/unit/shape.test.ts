/**
 * The shape ARCHITECTURE.md promises a newcomer: thin action entries (60 lines at most,
 * each running one use case from app/), small modules (300 lines at most, tests and
 * helpers included), and a graph whose every node is one import away.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const REPO = resolve(import.meta.dirname, "../..");
const SOURCE_DIRS = [
  "actions",
  "app",
  "bench",
  "cli",
  "graph",
  "lib",
  "scripts",
  "synth",
  "test",
  "worker",
];

function sources(dir: string): string[] {
  return readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "fixtures" ? [] : sources(path);
    return /\.(ts|mjs)$/.test(e.name) ? [path] : [];
  });
}

const lines = (file: string) => readFileSync(join(REPO, file), "utf8").split("\n").length - 1;

describe("the code's shape", () => {
  it("keeps every source file at 300 lines or fewer", () => {
    const long = SOURCE_DIRS.flatMap(sources)
      .map((f) => ({ f, n: lines(f) }))
      .filter(({ n }) => n > 300)
      .map(({ f, n }) => `${f}: ${n} lines`);
    expect(long).toEqual([]);
  });

  it("keeps every action entry at 60 lines or fewer, running one use case from app/", () => {
    const entries = readdirSync(join(REPO, "actions"), { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== "lib")
      .map((e) => join("actions", e.name, "main.ts"));
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      expect(lines(entry), entry).toBeLessThanOrEqual(60);
      const useCases = [
        ...readFileSync(join(REPO, entry), "utf8").matchAll(/from "\.\.\/\.\.\/app\/([^"]+)"/g),
      ];
      expect(
        useCases.map((m) => m[1]),
        entry,
      ).toHaveLength(1);
    }
  });

  it("imports each node of the graph from its own file under graph/nodes/", () => {
    const graph = readFileSync(join(REPO, "graph/graph.ts"), "utf8");
    const added = [...graph.matchAll(/\.addNode\("(\w+)", (\w+)\)/g)].map(
      (m) => [m[1]!, m[2]!] as const,
    );
    expect(added.length).toBe(6);
    for (const [node, fn] of added) {
      const file = `./nodes/${node.replaceAll("_", "-")}.ts`;
      expect(graph, `${node} -> ${file}`).toContain(`import { ${fn} } from "${file}";`);
    }
  });
});
