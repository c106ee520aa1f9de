/** The README's diagram is the graph as LangGraph draws it, so it cannot drift from the code. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { buildGraph } from "../../graph/graph.ts";

const README = resolve(import.meta.dirname, "../../README.md");

describe("the README's graph", () => {
  it("is drawMermaid() of the compiled graph", async () => {
    const drawn = (await buildGraph({ threshold: 7 }).getGraphAsync()).drawMermaid();
    const text = readFileSync(README, "utf8");
    const block = text.match(/<!-- graph:begin -->\n```mermaid\n([\s\S]*?)```\n<!-- graph:end -->/);
    expect(block, "README.md has no <!-- graph:begin --> mermaid block").not.toBeNull();
    expect(block![1]!.trimEnd(), "regenerate the block from drawMermaid()").toBe(drawn.trimEnd());
  });
});
