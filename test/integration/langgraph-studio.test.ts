/**
 * langgraph.json names a graph LangGraph's tools can load: the module exports a compiled
 * graph with the pipeline's nodes, and a run invoked without a context (as Studio invokes
 * it) uses the default services of the repository in MLOPS_REPO.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchRepo, type ScratchRepo } from "../../synth/scratch-repo.ts";

const REPO = resolve(import.meta.dirname, "../..");
let workspace: string;
let scratch: ScratchRepo;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), "mlops-studio-"));
  scratch = await createScratchRepo({ workspace, evalPerClass: 1 });
}, 60_000);
afterAll(async () => rm(workspace, { recursive: true, force: true }));

describe("langgraph.json", () => {
  it("loads a compiled graph that runs with the repository's default services", async () => {
    const spec = JSON.parse(readFileSync(join(REPO, "langgraph.json"), "utf8")) as {
      graphs: Record<string, string>;
    };
    const [path, exportName] = Object.values(spec.graphs)[0]!.split(":");
    process.env.MLOPS_REPO = scratch.repo;
    try {
      const mod = (await import(pathToFileURL(resolve(REPO, path!)).href)) as Record<
        string,
        { nodes: Record<string, unknown>; invoke: (input: object) => Promise<unknown> }
      >;
      const graph = mod[exportName!]!;
      expect(Object.keys(graph.nodes)).toEqual(
        expect.arrayContaining(["check_for_new_data", "validate_data", "alert_human"]),
      );
      // No manifest in the scratch repository: the run ends after check_for_new_data.
      const state = (await graph.invoke({ run_id: "studio-1" })) as {
        new_data_path: string | null;
        steps: Array<{ node: string }>;
      };
      expect(state.new_data_path).toBeNull();
      expect(state.steps.map((s) => s.node)).toEqual(["check_for_new_data"]);
    } finally {
      delete process.env.MLOPS_REPO;
    }
  }, 60_000);
});
