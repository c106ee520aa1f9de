/**
 * A fixed, hand-built pipeline state (no training) and what the render tests need to read
 * Markdown back: the APPROVE of v3 over v2 with every section of the pull request and the
 * run report filled, its config and artifact, and the headings and table widths of a text.
 */
import { parseConfig } from "../../lib/config.ts";
import type { ClassificationMetrics } from "../../lib/metrics.ts";
import type { ModelArtifact } from "../../lib/registry.ts";
import type { MLOpsStateType } from "../../graph/state.ts";

export const LABELS = ["verde", "maduro", "hoja"];

export const config = parseConfig({
  model_name: "mango-ripeness",
  labels: LABELS,
  policy: { critical_class: "maduro", min_improvement: 0.005 },
  quality: { threshold: 7 },
});

/** Metrics from a confusion matrix (rows true, columns predicted), in LABELS order. */
export function metrics(matrix: number[][], labels = LABELS): ClassificationMetrics {
  const n = matrix.flat().reduce((a, b) => a + b, 0);
  const per_class: ClassificationMetrics["per_class"] = {};
  let f1s = 0;
  labels.forEach((label, i) => {
    const tp = matrix[i]![i]!;
    const support = matrix[i]!.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((a, r) => a + r[i]!, 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    per_class[label] = { precision, recall, f1, support };
    f1s += f1;
  });
  const correct = matrix.reduce((a, r, i) => a + r[i]!, 0);
  return {
    n,
    accuracy: correct / n,
    macro_f1: f1s / labels.length,
    per_class,
    confusion_matrix: { labels, matrix },
  };
}

export const artifact: ModelArtifact = {
  format: "tflite+tfjs-layers",
  input_size: 96,
  labels: LABELS,
  files: [
    {
      name: "mango_model_v3.tflite",
      sha256: "a".repeat(64),
      bytes: 1_601_232,
      uri: "file:///artifacts/mango-ripeness/aaaa/mango_model_v3.tflite",
    },
  ],
};

/** An APPROVE of v3 over v2 with every section filled, and an int8 file its gate refused. */
export function approvedState(): MLOpsStateType {
  const candidate = metrics([
    [18, 1, 1],
    [1, 18, 1],
    [0, 1, 19],
  ]);
  const production = metrics([
    [17, 2, 1],
    [3, 14, 3],
    [0, 1, 19],
  ]);
  return {
    run_id: "20261201T120000-abc123",
    requested_manifest: null,
    new_data_path: "data-manifests/farm-b.json",
    manifest_sha256: "b".repeat(64),
    pending_manifests: [],
    quality_score: 9.5,
    quality_report_path: "/runs/20261201T120000-abc123/quality.json",
    quality_breakdown: null,
    rejected_images: ["c".repeat(64)],
    model_version: "v3",
    candidate_model_path: "/runs/20261201T120000-abc123/candidate/model.json",
    candidate_metrics: candidate,
    training_summary: {
      best_epoch: 7,
      epochs_run: 8,
      train_seconds: 41.6,
      device: "CPU, oneDNN, 1 thread",
      train_images: 480,
      val_images: 120,
      eval_images: 60,
      excluded_images: 1,
      manifests: [
        {
          path: "data-manifests/farm-a.json",
          sha256: "d".repeat(64),
          dataset_id: "farm-a",
          images: 300,
        },
        {
          path: "data-manifests/farm-b.json",
          sha256: "b".repeat(64),
          dataset_id: "farm-b",
          images: 301,
        },
      ],
    },
    tflite: {
      ship: "float32",
      shipped: { variant: "float32", file: "/runs/x/mango_model_v3.tflite" },
      variants: [
        {
          variant: "float32",
          file: "/runs/x/mango_model_v3.tflite",
          bytes: 1_601_232,
          max_logit_diff: 1.5e-5,
          argmax_agreement: 1,
          accuracy: 0.9167,
          macro_f1: 0.9166,
          median_latency_ms: 0.8,
          export_ms: 120,
          candidate: true,
          reasons: [],
        },
        {
          variant: "int8",
          file: null,
          bytes: 560_688,
          max_logit_diff: 0.46,
          argmax_agreement: 0.9833,
          accuracy: 0.9,
          macro_f1: 0.9,
          median_latency_ms: 1.1,
          export_ms: 300,
          candidate: false,
          // The gate's own words, which hold pipes: the table cell must survive them.
          reasons: ["int8: max |logit difference| vs TF.js is 4.60e-1, above the gate 1.00e-1"],
        },
      ],
    },
    production_version: "v2",
    production_metrics: production,
    deployment_decision: "APPROVE",
    decision_reason:
      "v3 vs production v2: improves accuracy +8.3 pts [95% CI +1.7, +15.0 pts]; every policy check passes.",
    policy_verdicts: [
      { check: "min_accuracy", passed: true, detail: "accuracy 91.7% vs minimum 50.0%" },
      {
        check: "statistics.clear_win",
        passed: true,
        severity: "review",
        detail: "clear win: accuracy +8.3 pts [95% CI +1.7, +15.0 pts]",
      },
      { check: "tflite", passed: true, skipped: true, detail: "skipped: nothing to check" },
    ],
    metric_deltas: [
      {
        metric: "accuracy",
        production: production.accuracy,
        candidate: candidate.accuracy,
        delta: candidate.accuracy - production.accuracy,
      },
      {
        metric: "f1.maduro",
        production: production.per_class.maduro!.f1,
        candidate: candidate.per_class.maduro!.f1,
        delta: candidate.per_class.maduro!.f1 - production.per_class.maduro!.f1,
      },
    ],
    analyst: "rules",
    judged_as_shipped: null,
    slices: null,
    evaluation_set: {
      path: "data-manifests/eval/evaluation.json",
      sha256: "e".repeat(64),
      images: 60,
    },
    analysis_statistics: {
      n: 60,
      resamples: 2000,
      confidence: 0.95,
      seed: 20_260_101,
      mcnemar: { production_only: 1, candidate_only: 6, p_value: 0.125 },
      intervals: [
        {
          metric: "accuracy",
          production: 0.8333,
          candidate: 0.9167,
          delta: 0.0833,
          low: 0.0167,
          high: 0.15,
        },
      ],
    },
    confusion_changes: [
      {
        actual: "hoja",
        predicted: "maduro",
        production_rate: 0.05,
        candidate_rate: 0.1,
        delta: 0.05,
        production_count: 1,
        candidate_count: 2,
        support: 20,
      },
    ],
    analyst_trace: {
      llm_model: null,
      llm_decision: null,
      override: null,
      fallback: null,
      analysis_dir: "/runs/20261201T120000-abc123/analysis",
    },
    failure_analysis_report: null,
    promotion: {
      branch: "mlops/mango-ripeness-v3",
      commit: "0123456789abcdef0123456789abcdef01234567",
      base: "main",
      draft: false,
      pr_body_path: "/runs/20261201T120000-abc123/pull-request.md",
    },
    alerts: [],
    steps: [
      { node: "check_for_new_data", at: "2026-12-01T12:00:00.000Z", note: "farm-b.json" },
      { node: "deploy_to_production", at: "2026-12-01T12:01:00.000Z", note: "v3" },
    ],
  };
}

/** Every line that starts a Markdown heading. */
export const headings = (md: string) => md.split("\n").filter((l) => /^#{1,6} /.test(l));

/** The cells of a table row, split on unescaped pipes. */
export const cells = (line: string) =>
  line
    .trim()
    .slice(1, -1)
    .split(/(?<!\\)\|/);

/** Each table (consecutive lines starting with `|`): its header's cell count and each row's. */
export function tables(md: string): Array<{ header: string; widths: number[] }> {
  const out: Array<{ header: string; widths: number[] }> = [];
  let current: { header: string; widths: number[] } | null = null;
  for (const line of md.split("\n")) {
    if (!line.startsWith("|")) {
      current = null;
      continue;
    }
    if (!current) out.push((current = { header: line, widths: [] }));
    current.widths.push(cells(line).length);
  }
  return out;
}
