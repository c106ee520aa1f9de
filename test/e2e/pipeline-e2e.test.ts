/**
 * The pipeline the way a user runs it: `runDemo` at the demo's own sizes and training
 * recipe (the real graph, real git, real files, tfjs-node training), so each scenario must
 * end in the decision its data produces, exactly as the README promises.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { demoTraining, type DemoOutcome, runDemo, type ScenarioId } from "../../app/demo.ts";
import { showFile } from "../../lib/git.ts";

const exec = promisify(execFile);
const workspaces: string[] = [];
afterAll(async () => {
  for (const w of workspaces) await rm(w, { recursive: true, force: true });
});

describe("the demo's four scenarios", () => {
  let demo: DemoOutcome;
  const row = (id: ScenarioId) => demo.rows.find((r) => r.id === id)!;
  const state = (id: ScenarioId) => row(id).result.state;
  const git = async (...args: string[]) => (await exec("git", args, { cwd: demo.repo })).stdout;
  const branchExists = (branch: string) =>
    git("rev-parse", "--verify", "--quiet", `refs/heads/${branch}`).then(
      () => true,
      () => false,
    );
  const failedChecks = (id: ScenarioId) =>
    state(id)
      .policy_verdicts.filter((v) => !v.passed)
      .map((v) => v.check);

  it("end in the decisions their data must produce", async () => {
    const workspace = await mkdtemp(join(tmpdir(), "mlops-demo-"));
    workspaces.push(workspace);
    demo = await runDemo({ workspace, configure: demoTraining() });
    expect(demo.rows.map((r) => [r.id, r.outcome, r.decision])).toEqual([
      ["bootstrap", "proposed_for_review", "HUMAN_REVIEW"],
      ["clear_win", "proposed", "APPROVE"],
      ["critical_loss", "rejected", "REJECT"],
      ["bad_batch", "data_gate_failed", null],
    ]);
  }, 900_000);

  it("1. bootstrap: a first model that never saw sobremaduro goes to a person as a draft", async () => {
    const s = state("bootstrap");
    // Farm A has no overripe fruit: the gate passes it, marked down for the missing class.
    expect(s.quality_score).toBeGreaterThanOrEqual(7);
    expect(s.quality_score).toBeLessThan(10);
    expect(s.candidate_metrics!.per_class.sobremaduro).toMatchObject({ f1: 0, recall: 0 });
    expect(s.promotion).toMatchObject({ branch: "mlops/mango-ripeness-v1", draft: true });
    expect(s.alerts.map((a) => a.channel)).toEqual(["file"]);
    const pointer = JSON.parse(
      (await showFile(
        demo.repo,
        "mlops/mango-ripeness-v1",
        "models/mango-ripeness/production.json",
      ))!,
    );
    expect(pointer.version).toBe("v1");
    // Every artifact file is recorded with its sha256 and really sits at its URI.
    for (const f of pointer.artifact.files) {
      expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(existsSync(new URL(f.uri))).toBe(true);
    }
    // The app's file comes first: proven in LiteRT, shipped as mango_model_v1.tflite.
    expect(pointer.artifact.files[0].name).toBe("mango_model_v1.tflite");
    expect(s.tflite?.shipped?.variant).toBe("float32");
    const float32 = s.tflite!.variants.find((v) => v.variant === "float32")!;
    expect(float32.max_logit_diff).toBeLessThanOrEqual(1e-4);
    expect(float32.argmax_agreement).toBe(1);
    const body = await readFile(s.promotion!.pr_body_path, "utf8");
    expect(body).toMatch(/TFLite \(proven in LiteRT/);
    expect(body).toMatch(/Needs a human review/);
    expect(body).toMatch(/Policy checks/);
  });

  it("2. clear win: v2 learns sobremaduro, beats v1 beyond doubt and is proposed ready to merge", async () => {
    const s = state("clear_win");
    expect(s.model_version).toBe("v2");
    expect(s.production_version).toBe("v1");
    expect(s.production_metrics?.n).toBe(s.candidate_metrics?.n);
    expect(s.training_summary?.manifests.map((m) => m.path)).toEqual([
      "data-manifests/farm-a-2026-11.json",
      "data-manifests/farm-b-2026-12.json",
    ]);
    // Why: the class v1 never saw is learned, and the statistics call the gain clear.
    expect(s.production_metrics!.per_class.sobremaduro!.f1).toBe(0);
    expect(s.candidate_metrics!.per_class.sobremaduro!.f1).toBeGreaterThan(0);
    expect(failedChecks("clear_win")).toEqual([]);
    const win = s.policy_verdicts.find((v) => v.check === "statistics.clear_win");
    expect(win?.passed).toBe(true);
    expect(s.promotion).toMatchObject({ branch: "mlops/mango-ripeness-v2", draft: false });
    expect(await branchExists("mlops/mango-ripeness-v2")).toBe(true);
    expect(s.alerts).toEqual([]);
    const pointer = JSON.parse(
      (await showFile(
        demo.repo,
        "mlops/mango-ripeness-v2",
        "models/mango-ripeness/production.json",
      ))!,
    );
    expect(pointer).toMatchObject({ version: "v2", decided: "APPROVE" });
    const body = await readFile(s.promotion!.pr_body_path, "utf8");
    expect(body).not.toMatch(/Needs a human review/);
    expect(body).toMatch(/## mango-ripeness v2: APPROVE/);
  });

  it("3. swapped labels: the gate passes them, v3 loses maduro, is rejected, and a person is told", async () => {
    const s = state("critical_loss");
    expect(s.quality_score).toBe(10);
    expect(s.model_version).toBe("v3");
    expect(s.production_version).toBe("v2");
    const critical = (m: typeof s.candidate_metrics) => m!.per_class.maduro!.f1;
    expect(critical(s.candidate_metrics)).toBeLessThan(critical(s.production_metrics));
    expect(failedChecks("critical_loss")).toContain("max_critical_f1_drop");
    // The confusion that grew most is the swap itself: ripe taken for overripe, or back.
    const top = s.confusion_changes[0]!;
    expect([top.actual, top.predicted].sort()).toEqual(["maduro", "sobremaduro"]);
    expect(s.promotion).toBeNull();
    expect(await branchExists("mlops/mango-ripeness-v3")).toBe(false);
    expect(s.alerts.map((a) => a.channel)).toEqual(["file"]);
    const alert = await readFile(join(row("critical_loss").result.runDir, "alert.md"), "utf8");
    expect(alert).toMatch(/maduro/);
    expect(alert).toMatch(/Next step/);
  });

  it("4. bad batch: halts at the data gate, trains nothing, and says why", async () => {
    const s = state("bad_batch");
    expect(s.quality_score).toBeLessThan(7);
    expect(s.model_version).toBeNull();
    expect(s.failure_analysis_report).toMatch(/checksum|decode|blur|exposure/);
    const alert = await readFile(join(row("bad_batch").result.runDir, "alert.md"), "utf8");
    expect(alert).toMatch(/Data gate failed/);
    expect(alert).toMatch(/Next step/);
  });

  it("production on main is the merged v2; the halted manifests are recorded; the tree is clean", async () => {
    const pointer = JSON.parse(
      await readFile(join(demo.repo, "models/mango-ripeness/production.json"), "utf8"),
    );
    expect(pointer.version).toBe("v2");
    const halted = (await git("for-each-ref", "--format=%(refname)", "refs/mlops/rejected/"))
      .split("\n")
      .filter(Boolean);
    expect(halted).toHaveLength(2);
    expect(await git("status", "--porcelain")).toBe("");
    for (const r of demo.rows) {
      expect(r.reportPath).toBe(join(r.result.runDir, "report.md"));
      expect(existsSync(r.reportPath)).toBe(true);
      expect(existsSync(join(r.result.runDir, "state.json"))).toBe(true);
    }
  });
});
