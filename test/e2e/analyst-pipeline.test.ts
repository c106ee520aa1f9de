/**
 * analyze_performance in the real graph with an LLM analyst configured: the real
 * ChatOpenAI client talks to an OpenAI-compatible stand-in on 127.0.0.1, and the run
 * folder keeps the prompt, the model name, the raw answer and the whole analysis.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runPipeline } from "../../app/pipeline.ts";
import { createScratchRepo } from "../../synth/scratch-repo.ts";
import { synthesizeDataset } from "../../synth/dataset.ts";
import { type LlmServer, startLlmServer } from "../helpers/llm-server.ts";
import { tinyTraining } from "../helpers/tiny-config.ts";

let server: LlmServer | undefined;
let workspace: string | undefined;
const savedKey = process.env.MLOPS_LLM_API_KEY;
afterAll(async () => {
  await server?.close();
  if (workspace) await rm(workspace, { recursive: true, force: true });
  if (savedKey === undefined) delete process.env.MLOPS_LLM_API_KEY;
  else process.env.MLOPS_LLM_API_KEY = savedKey;
});

describe("analyze_performance with an LLM analyst", () => {
  it("judges v2 against production v1 on the same evaluation set and records everything", async () => {
    // A contrarian analyst: it always answers REJECT, so the guardrails' handling shows.
    server = await startLlmServer([
      {
        content: JSON.stringify({
          decision: "REJECT",
          reason: "The stand-in always rejects.",
          relied_on: ["accuracy", "statistics.accuracy"],
        }),
      },
    ]);
    // The key comes through the services from the env the run is given; a different key in
    // this process's own environment must not reach the endpoint.
    process.env.MLOPS_LLM_API_KEY = "sk-from-process-env";
    const env = { ...process.env, MLOPS_LLM_API_KEY: "sk-pipeline" };
    workspace = await mkdtemp(join(tmpdir(), "mlops-analyst-"));
    const configure = (c: Record<string, unknown>) => ({
      ...tinyTraining(c),
      analyst: {
        base_url: server!.baseURL,
        model: "stand-in-analyst",
        timeout_ms: 5000,
        max_retries: 0,
      },
    });
    const scratch = await createScratchRepo({ workspace, evalPerClass: 4, configure });
    const { repo, bucket } = scratch;
    for (const [farm, seed] of [
      ["farm-a", 2001],
      ["farm-b", 3001],
    ] as const) {
      const batch = await synthesizeDataset({
        outDir: bucket,
        prefix: `batches/${farm}`,
        datasetId: farm,
        kind: "training",
        perClass: 8,
        seed,
      });
      await scratch.commitManifest(`data-manifests/${farm}.json`, batch, `Add ${farm}`);
      const result = await runPipeline({
        repoDir: repo,
        config: scratch.config(),
        manifest: `data-manifests/${farm}.json`,
        env,
      });
      if (farm === "farm-a") {
        // The first model has nothing to compare with: the rules send it to a person, no LLM call.
        expect(result.state.deployment_decision).toBe("HUMAN_REVIEW");
        expect(server.requests).toHaveLength(0);
        await scratch.git(
          "merge",
          "-q",
          "--no-ff",
          "-m",
          "reviewed",
          result.state.promotion!.branch,
        );
        continue;
      }
      const s = result.state;
      const dir = join(result.runDir, "analysis");
      const analysis = JSON.parse(await readFile(join(dir, "analysis.json"), "utf8"));
      const evalSha = createHash("sha256")
        .update(await readFile(join(repo, "data-manifests/eval/evaluation.json")))
        .digest("hex");
      expect(s.evaluation_set).toEqual({
        path: "data-manifests/eval/evaluation.json",
        sha256: evalSha,
        images: 20,
      });
      expect(analysis.evaluation_set.sha256).toBe(evalSha);
      expect(analysis.candidate_predictions).toBe("predictions.json from training");
      expect(s.analysis_statistics?.n).toBe(20);
      expect(s.production_metrics?.n).toBe(20);
      // Guardrails: REJECT stands when the rules reject; otherwise the disagreement goes to a person.
      expect(s.deployment_decision).toBe(
        analysis.rules.decision === "REJECT" ? "REJECT" : "HUMAN_REVIEW",
      );
      expect(analysis.final.decision).toBe(s.deployment_decision);
      expect(s.analyst_trace).toMatchObject({
        llm_model: "stand-in-analyst",
        llm_decision: "REJECT",
        analysis_dir: dir,
      });
      const prompt = await readFile(join(dir, "prompt.md"), "utf8");
      expect(prompt).toMatch(/model: `stand-in-analyst`/);
      expect(prompt).toContain(evalSha);
      const answer = JSON.parse(await readFile(join(dir, "llm-answer.json"), "utf8"));
      expect(answer).toMatchObject({ model: "stand-in-analyst", attempts: 1, error: null });
      expect(answer.raw).toMatch(/The stand-in always rejects/);
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]!.authorization).toBe("Bearer sk-pipeline");
      const report = await readFile(join(result.runDir, "report.md"), "utf8");
      expect(report).toMatch(/## Statistics/);
      expect(report).toMatch(/## Analyst/);
    }
  }, 180_000);
});
