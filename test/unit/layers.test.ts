/**
 * The layers of ARCHITECTURE.md, held against the code: every relative import of every
 * source file is resolved and its folder checked against what that folder may import.
 * A new file is covered without touching this test; a new top-level folder must be named.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const REPO = resolve(import.meta.dirname, "../..");

/** Folder -> the folders it may import from (itself always). */
const MAY_IMPORT: Record<string, string[]> = {
  lib: [],
  worker: ["lib"],
  synth: ["lib"],
  graph: ["lib", "worker"],
  app: ["lib", "worker", "graph", "synth"],
  cli: ["app", "lib", "graph", "synth"],
  actions: ["app", "lib", "graph"],
  scripts: ["lib"],
  bench: ["app", "lib", "worker", "graph", "synth", "cli"],
  test: ["app", "lib", "worker", "graph", "synth", "cli", "actions", "scripts", "bench"],
};

/** Packages only some folders may use: the Actions runtime and the orchestrator. */
const PACKAGE_HOMES: Record<string, string[]> = {
  "@actions/core": ["actions"],
  "@langchain/langgraph": ["graph", "app"],
  "@langchain/langgraph-checkpoint-sqlite": ["app"],
};

function sources(dir: string): string[] {
  return readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "fixtures" ? [] : sources(path);
    return /\.(ts|mjs)$/.test(e.name) ? [path] : [];
  });
}

/** Every relative import specifier of a file: static, re-exports and dynamic import(). */
export function importsOf(text: string): string[] {
  const found = text.matchAll(
    /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm,
  );
  return [...found].map((m) => m[1]!);
}

/** `<file> -> <target>` for each import that crosses a layer the wrong way. */
function violations(): string[] {
  const out: string[] = [];
  for (const top of Object.keys(MAY_IMPORT)) {
    for (const file of sources(top)) {
      for (const spec of importsOf(readFileSync(join(REPO, file), "utf8"))) {
        const target = relative(REPO, resolve(REPO, dirname(file), spec));
        const to = target.split("/")[0]!;
        if (to !== top && !MAY_IMPORT[top]!.includes(to)) out.push(`${file} -> ${target}`);
      }
    }
  }
  return out;
}

/** `<file> -> <package>` for each package import outside the package's home folders. */
function packageViolations(): string[] {
  const out: string[] = [];
  for (const top of Object.keys(MAY_IMPORT).filter((t) => t !== "test")) {
    for (const file of sources(top)) {
      const text = readFileSync(join(REPO, file), "utf8");
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)["'](@[^/"']+\/[^/"']+)/g)) {
        const homes = PACKAGE_HOMES[m[1]!];
        if (homes && !homes.includes(top)) out.push(`${file} -> ${m[1]}`);
      }
    }
  }
  return out;
}

describe("layers", () => {
  it("finds static, dynamic and re-exported imports", () => {
    const text = [
      'import { a } from "../lib/a.ts";',
      'import type { B } from "./b.ts";',
      'export { c } from "../graph/c.ts";',
      'const d = await import("../app/d.ts");',
      'import "../worker/side-effect.ts";',
      'import * as core from "@actions/core";',
    ].join("\n");
    expect(importsOf(text)).toEqual([
      "../lib/a.ts",
      "./b.ts",
      "../graph/c.ts",
      "../app/d.ts",
      "../worker/side-effect.ts",
    ]);
  });

  it("names every top-level source folder", () => {
    const tops = readdirSync(REPO, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules")
      .filter((e) => sources(e.name).length > 0)
      .map((e) => e.name);
    expect(tops.filter((t) => !(t in MAY_IMPORT))).toEqual([]);
  });

  it("imports only downwards: lib <- worker <- graph <- app <- cli, actions", () => {
    expect(violations()).toEqual([]);
  });

  it("keeps the Actions runtime in actions/ and LangGraph in graph/ and app/", () => {
    expect(packageViolations()).toEqual([]);
  });
});
