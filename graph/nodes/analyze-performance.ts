/**
 * analyze_performance: a fair comparison. At decision time both models are judged on the
 * frozen evaluation set as it is now: the candidate's predictions from training are used
 * only if they cover exactly these images in this order (else it is re-evaluated), and
 * production is re-evaluated from its registered artifact (sha256-checked). Then the
 * deterministic part (metrics, paired statistics, policy verdicts, confusions), the LLM
 * analyst when one is configured, and the guardrails over both.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { compareOnEvaluationSet } from "../../lib/analyst/compare.ts";
import { applyGuardrails } from "../../lib/analyst/guardrails.ts";
import {
  type AnalystFacts,
  askAnalyst,
  buildAnalystPrompt,
  llmAnswerRecord,
  type LlmOutcome,
  renderPromptFile,
} from "../../lib/analyst/llm.ts";
import { analyzeWithRules } from "../../lib/analyst/rules.ts";
import type { TfliteMetrics } from "../../lib/analyst/policy.ts";
import { artifactsUri } from "../../lib/config.ts";
import { fetchModelFolder } from "../../lib/artifacts.ts";
import { loadEvaluationSet } from "../../lib/evaluation-set.ts";
import { toLabelIndices } from "../../lib/metrics.ts";
import type { LabeledImage } from "../../lib/dataset.ts";
import { type NodeConfig, type PipelineServices, servicesOf } from "../services.ts";
import { type MLOpsStateType, type MLOpsUpdate, step } from "../state.ts";

/** Class indices of the candidate on `images`, from training's predictions.json when it covers exactly them. */
async function candidatePredictions(
  state: MLOpsStateType,
  services: PipelineServices,
  images: LabeledImage[],
): Promise<{ predictions: number[]; source: string }> {
  const labels = services.config.labels;
  const file = join(dirname(state.candidate_model_path!), "predictions.json");
  if (existsSync(file)) {
    const saved = JSON.parse(await readFile(file, "utf8")) as {
      labels?: string[];
      keys?: string[];
      predictions?: number[];
    };
    const sameImages =
      saved.keys?.length === images.length &&
      images.every((img, i) => saved.keys![i] === img.sha256);
    const sameLabels =
      saved.labels?.length === labels.length && labels.every((l, i) => saved.labels![i] === l);
    if (sameImages && sameLabels && saved.predictions?.length === images.length)
      return { predictions: saved.predictions, source: "predictions.json from training" };
  }
  // The evaluation set changed since training (or the file is gone): judge it on today's set.
  services.log(
    `analyze_performance: ${file} does not cover the current evaluation set; re-evaluating the candidate`,
  );
  return {
    predictions: (await services.trainer.evaluate(state.candidate_model_path!, images, labels))
      .predictions,
    source: "re-evaluated at decision time",
  };
}

/** Production's class indices on `images`, mapped into the configured label order. */
async function productionPredictions(
  services: PipelineServices,
  runDir: string,
  images: LabeledImage[],
) {
  const production = (await services.registry.production())!;
  const dir = join(runDir, "production", production.version);
  try {
    await fetchModelFolder(
      services.openStore(artifactsUri(services.repoDir, services.config)),
      production.artifact,
      dir,
    );
    const own = production.artifact.labels;
    const { predictions } = await services.trainer.evaluate(dir, images, own);
    const map = own.map((l) => services.config.labels.indexOf(l));
    const missing = own.filter((_, i) => map[i]! < 0);
    if (missing.length)
      throw new Error(
        `its classes ${missing.join(", ")} are not among the configured labels [${services.config.labels.join(", ")}]`,
      );
    return predictions.map((p) => map[p]!);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value, null, 2) + "\n");
}

/** The shipped variant's proof as the policy reads it (size budget, logit difference, agreement). */
export function shippedTflite(state: Pick<MLOpsStateType, "tflite">): TfliteMetrics | undefined {
  const t = state.tflite;
  const v = t?.variants.find((x) => x.variant === t.ship);
  if (!t || !v) return undefined;
  const num = (x: number | null) => (x === null ? undefined : x);
  return {
    variant: v.variant,
    bytes: v.bytes ?? Number.POSITIVE_INFINITY,
    max_logit_diff: num(v.max_logit_diff),
    argmax_agreement: num(v.argmax_agreement),
    accuracy: num(v.accuracy),
  };
}

/** The node. */
export async function analyzePerformance(
  state: MLOpsStateType,
  config: NodeConfig,
): Promise<MLOpsUpdate> {
  const services = servicesOf(config);
  const { config: cfg, registry, log } = services;
  const runDir = services.runDir(state.run_id);
  const analysisDir = join(runDir, "analysis");
  await mkdir(analysisDir, { recursive: true });
  const evaluation = await loadEvaluationSet(services);
  const evaluation_set = {
    path: evaluation.path,
    sha256: evaluation.sha256,
    images: evaluation.images.length,
  };
  const production = await registry.production();
  const trace = {
    llm_model: null,
    llm_decision: null,
    override: null,
    fallback: null,
    analysis_dir: analysisDir,
  };
  const tflite = shippedTflite(state);

  // The app runs the .tflite: a candidate whose shipped file was not proven is no candidate.
  if (state.tflite && !state.tflite.shipped) {
    const failed = state.tflite.variants.find((v) => v.variant === state.tflite!.ship);
    const reason = `${state.model_version}'s ${state.tflite.ship} .tflite did not pass its proof in LiteRT, so it is not a candidate: ${failed?.reasons.join("; ") || "no file was written"}.`;
    log(`analyze_performance: REJECT: ${reason}`);
    return {
      evaluation_set,
      production_version: production?.version ?? null,
      deployment_decision: "REJECT",
      decision_reason: reason,
      analyst: "rules",
      analyst_trace: trace,
      policy_verdicts: [
        { check: `tflite.${state.tflite.ship}.proven`, passed: false, detail: reason },
      ],
      failure_analysis_report: reason,
      steps: step("analyze_performance", "REJECT: .tflite not proven"),
    };
  }

  if (!production) {
    const analysis = analyzeWithRules({
      candidate: state.candidate_metrics!,
      candidateVersion: state.model_version!,
      policy: cfg.policy,
      tflite,
    });
    await writeJson(join(analysisDir, "analysis.json"), {
      evaluation_set,
      candidate_version: state.model_version,
      production_version: null,
      rules: analysis,
      final: { decision: analysis.decision, reason: analysis.reason, analyst: "rules" },
    });
    log(`analyze_performance: ${analysis.decision}: ${analysis.reason}`);
    return {
      evaluation_set,
      production_version: null,
      production_metrics: null,
      deployment_decision: analysis.decision,
      decision_reason: analysis.reason,
      policy_verdicts: analysis.verdicts,
      metric_deltas: [],
      analyst: "rules",
      // Nothing to compare yet, so nothing for an LLM to weigh: say so rather than imply it is off.
      analyst_trace: {
        ...trace,
        fallback: cfg.analyst.base_url
          ? "No production model to compare with: the rule-based analyst decides the first version; the LLM analyst was not asked."
          : null,
      },
      failure_analysis_report: analysis.decision === "REJECT" ? analysis.reason : null,
      steps: step("analyze_performance", analysis.decision),
    };
  }

  const candidate = await candidatePredictions(state, services, evaluation.images);
  let productionPreds: number[];
  try {
    productionPreds = await productionPredictions(services, runDir, evaluation.images);
  } catch (err) {
    // Without a trustworthy production baseline no automatic decision is safe.
    const reason = `The production model ${production.version} could not be re-evaluated: ${(err as Error).message}. A person must compare ${state.model_version} by hand or repair the registry.`;
    log(`analyze_performance: ${reason}`);
    return {
      evaluation_set,
      production_version: production.version,
      deployment_decision: "HUMAN_REVIEW",
      decision_reason: reason,
      analyst: "rules",
      analyst_trace: trace,
      steps: step("analyze_performance", "HUMAN_REVIEW: no production baseline"),
    };
  }

  const started = performance.now();
  const comparison = compareOnEvaluationSet({
    truth: toLabelIndices(evaluation.images, cfg.labels),
    candidatePredictions: candidate.predictions,
    productionPredictions: productionPreds,
    labels: cfg.labels,
    policy: cfg.policy,
    candidateVersion: state.model_version!,
    productionVersion: production.version,
    tflite,
  });
  const deterministicMs = Math.round(performance.now() - started);
  const facts: AnalystFacts = {
    model_name: cfg.model_name,
    candidate_version: state.model_version!,
    production_version: production.version,
    critical_class: cfg.policy.critical_class,
    evaluation_set,
    training_data: (state.training_summary?.manifests ?? []).map((m) => ({
      path: m.path,
      dataset_id: m.dataset_id,
      images: m.images,
    })),
    candidate: comparison.candidate,
    production: comparison.production,
    deltas: comparison.analysis.deltas,
    verdicts: comparison.analysis.verdicts,
    statistics: comparison.statistics,
    confusion_changes: comparison.confusions,
  };
  const prompt = buildAnalystPrompt(facts);
  let llm: LlmOutcome | null = null;
  const baseUrl = cfg.analyst.base_url;
  if (baseUrl) {
    await writeFile(
      join(analysisDir, "prompt.md"),
      renderPromptFile(prompt, { model: cfg.analyst.model, base_url: baseUrl }),
    );
    llm = await askAnalyst(
      prompt,
      { ...cfg.analyst, base_url: baseUrl },
      process.env.MLOPS_LLM_API_KEY,
    );
    await writeJson(join(analysisDir, "llm-answer.json"), llmAnswerRecord(llm));
  }
  const final = applyGuardrails({ rules: comparison.analysis, llm, metricKeys: prompt.metricKeys });
  const analystTrace = {
    ...trace,
    llm_model: llm?.model ?? null,
    llm_decision: final.llm?.decision ?? null,
    override: final.override,
    fallback: final.fallback,
  };
  await writeJson(join(analysisDir, "analysis.json"), {
    ...facts,
    candidate_predictions: candidate.source,
    deterministic_ms: deterministicMs,
    rules: { decision: comparison.analysis.decision, reason: comparison.analysis.reason },
    llm: llm && {
      model: llm.model,
      attempts: llm.attempts,
      error: llm.error,
      elapsed_ms: llm.elapsed_ms,
      answer: llm.answer,
    },
    final,
  });
  const note = [final.fallback, final.override].filter(Boolean).join(" ");
  log(
    `analyze_performance: ${final.decision} (analyst: ${final.analyst}${llm ? `, LLM ${llm.model}` : ""}): ${final.reason}${note ? ` [${note}]` : ""}`,
  );
  return {
    evaluation_set,
    production_version: production.version,
    candidate_metrics: comparison.candidate,
    production_metrics: comparison.production,
    deployment_decision: final.decision,
    decision_reason: final.reason,
    policy_verdicts: comparison.analysis.verdicts,
    metric_deltas: comparison.analysis.deltas,
    analysis_statistics: comparison.statistics,
    confusion_changes: comparison.confusions,
    analyst: final.analyst,
    analyst_trace: analystTrace,
    failure_analysis_report: final.decision === "REJECT" ? final.reason : null,
    steps: step(
      "analyze_performance",
      `${final.decision} (${final.analyst}${final.override ? ", overridden" : ""})`,
    ),
  };
}
