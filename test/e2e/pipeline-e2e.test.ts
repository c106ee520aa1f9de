/**
 * The pipeline the way a user runs it: the real graph, real git, real files, tfjs-node
 * training a tiny model, on a scratch repository with synthetic photos.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXPECTED_OUTCOMES, runDemo, type Row } from "../../cli/demo.ts";
import { showFile } from "../../lib/git.ts";
import { tinyTraining } from "../helpers/tiny-config.ts";

const workspaces: string[] = [];
afterAll(async () => {
  for (const w of workspaces) await rm(w, { recursive: true, force: true });
});

describe("the demo's three scenarios on a tiny dataset", () => {
  let rows: Row[];
  let repo: string;

  it("runs end to end with the promised outcomes", async () => {
    const workspace = await mkdtemp(join(tmpdir(), "mlops-demo-"));
    workspaces.push(workspace);
    repo = join(workspace, "repo");
    rows = await runDemo({
      workspace,
      perClass: 8,
      evalPerClass: 4,
      badCount: 12,
      configure: tinyTraining,
    });
    expect(rows.map((r) => r.result.summary)).toHaveLength(3);
    rows.forEach((r, i) => expect(r.result.summary).toMatch(EXPECTED_OUTCOMES[i]!));
  }, 300_000);

  it("scenario 1: the first model is proposed as a draft and a person is alerted", async () => {
    const s = rows[0]!.result.state;
    expect(s.deployment_decision).toBe("HUMAN_REVIEW");
    expect(s.promotion).toMatchObject({ branch: "mlops/mango-ripeness-v1", draft: true });
    expect(s.alerts.map((a) => a.channel)).toEqual(["file"]);
    const pointer = JSON.parse(
      (await showFile(repo, "mlops/mango-ripeness-v1", "models/mango-ripeness/production.json"))!,
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

  it("scenario 2: the candidate is judged against production re-evaluated on the same set", async () => {
    const s = rows[1]!.result.state;
    expect(s.model_version).toBe("v2");
    expect(s.production_version).toBe("v1");
    expect(s.production_metrics?.n).toBe(s.candidate_metrics?.n);
    expect(["APPROVE", "REJECT", "HUMAN_REVIEW"]).toContain(s.deployment_decision);
    expect(s.decision_reason).toBeTruthy();
    // Trained on production's data plus the new manifest.
    expect(s.training_summary?.manifests.map((m) => m.path)).toEqual([
      "data-manifests/farm-a-2026-11.json",
      "data-manifests/farm-b-2026-11.json",
    ]);
    if (s.deployment_decision === "REJECT") expect(s.promotion).toBeNull();
    else expect(s.promotion?.branch).toBe("mlops/mango-ripeness-v2");
  });

  it("scenario 3: the bad batch halts at the data gate, trains nothing, and says why", async () => {
    const s = rows[2]!.result.state;
    expect(s.quality_score).toBeLessThan(7);
    expect(s.model_version).toBeNull();
    expect(s.failure_analysis_report).toMatch(/checksum|decode|blur|exposure/);
    const alert = await readFile(join(rows[2]!.result.runDir, "alert.md"), "utf8");
    expect(alert).toMatch(/Data gate failed/);
    expect(alert).toMatch(/Next step/);
  });

  it("no scenario changed the user's branch: production on main is still v1", async () => {
    const pointer = JSON.parse(
      await readFile(join(repo, "models/mango-ripeness/production.json"), "utf8"),
    );
    expect(pointer.version).toBe("v1");
    const { execFile } = await import("node:child_process");
    const status = await new Promise<string>((res, rej) =>
      execFile("git", ["status", "--porcelain"], { cwd: repo }, (e, out) =>
        e ? rej(e) : res(out),
      ),
    );
    expect(status).toBe("");
    for (const r of rows) {
      expect(existsSync(join(r.result.runDir, "report.md"))).toBe(true);
      expect(existsSync(join(r.result.runDir, "state.json"))).toBe(true);
    }
  });
});
