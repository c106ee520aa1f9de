/**
 * analyze_performance: a fair comparison. At decision time both models are judged on the
 * frozen evaluation set as it is now, as shipped, in four steps (analyze-performance/):
 * 1. predictions.ts: both models' predictions: their shipped .tflite in LiteRT (the ones
 *    compared) and their TF.js models (kept beside: training's for the candidate when they
 *    cover exactly these images, else re-evaluated; production re-evaluated from its
 *    registered artifact, sha256-checked);
 * 2. compare.ts: metrics, paired statistics, slices, policy verdicts and confusions;
 * 3. decide.ts: the rules, and the LLM analyst's proposal (when one is configured, asked
 *    here) inside the guardrails, pure;
 * 4. files.ts: analysis.json, prompt.md and llm-answer.json in the run folder.
 */
import { mkdir } from "node:fs/promises";
import type { LlmOutcome } from "../../lib/analyst/llm.ts";
import { judgeModel } from "../../lib/analyst/shipped.ts";
import { computeSlices } from "../../lib/analyst/slices.ts";
import { loadEvaluationSet } from "../../lib/evaluation-set.ts";
import { toLabelIndices } from "../../lib/metrics.ts";
import { type NodeConfig, servicesOf } from "../services.ts";
import { type MLOpsStateType, type MLOpsUpdate, step } from "../state.ts";
import { compareModels } from "./analyze-performance/compare.ts";
import {
  decide,
  decideFirstModel,
  decideWithoutBaseline,
  type NodeOutcome,
  rejectUnjudgedTflite,
  rejectUnprovenTflite,
} from "./analyze-performance/decide.ts";
import {
  writeAnalysis,
  writeFirstModelAnalysis,
  writeLlmAnswer,
  writePrompt,
} from "./analyze-performance/files.ts";
import {
  candidatePredictions,
  candidateShipped,
  productionPredictions,
  type ShippedPredictions,
} from "./analyze-performance/predictions.ts";
import { runFolder } from "../../lib/run-folder.ts";

export { shippedTflite } from "./analyze-performance/decide.ts";

/** The node. */
export async function analyzePerformance(
  state: MLOpsStateType,
  config: NodeConfig,
): Promise<MLOpsUpdate> {
  const services = servicesOf(config);
  const { config: cfg, log } = services;
  const runDir = services.runDir(state.run_id);
  const analysisDir = runFolder(runDir).analysis.dir;
  await mkdir(analysisDir, { recursive: true });
  const evaluation = await loadEvaluationSet(services);
  const ctx = {
    evaluation_set: {
      path: evaluation.path,
      sha256: evaluation.sha256,
      images: evaluation.images.length,
    },
    analysis_dir: analysisDir,
  };
  const production = await services.registry.production();
  const done = (outcome: NodeOutcome): MLOpsUpdate => {
    log(outcome.log);
    return { ...outcome.update, steps: step("analyze_performance", outcome.note) };
  };

  const unproven = rejectUnprovenTflite(state, production?.version ?? null, ctx);
  if (unproven) return done(unproven);

  // 1. The candidate on today's evaluation set: its shipped file in LiteRT, and as TF.js.
  const { labels, policy } = cfg;
  const truth = toLabelIndices(evaluation.images, labels);
  const judge = (version: string, tfjs: number[], shipped: ShippedPredictions) =>
    judgeModel({
      version,
      truth,
      labels,
      criticalClass: policy.critical_class,
      keys: evaluation.images.map((i) => i.sha256),
      tfjs,
      shipped,
    });
  const candidateTfjs = await candidatePredictions(
    state.candidate_model_path!,
    services,
    evaluation.images,
  );
  let candidateFile: ShippedPredictions;
  try {
    candidateFile = await candidateShipped(state, services, evaluation.images);
  } catch (err) {
    const error = (err as Error).message;
    return done(rejectUnjudgedTflite(state, production?.version ?? null, error, ctx));
  }
  const candidate = judge(state.model_version!, candidateTfjs.predictions, candidateFile);
  if (candidate.judged.fallback) log(`analyze_performance: ${candidate.judged.fallback}`);
  const tags = evaluation.images.map((i) => i.tags);

  if (!production) {
    const llmConfigured = "ask" in services.analyst;
    const judged = { candidate: candidate.judged, production: null };
    const slices = computeSlices({ truth, candidate: candidate.predictions, tags, labels, policy });
    const shipped = { metrics: candidate.metrics, judged, slices };
    const first = decideFirstModel(state, policy, { ...ctx, llmConfigured }, shipped);
    await writeFirstModelAnalysis(analysisDir, {
      evaluation_set: ctx.evaluation_set,
      candidate_version: state.model_version,
      analysis: first.analysis,
      candidate_predictions: candidateTfjs.source,
      judged_as_shipped: judged,
      slices,
    });
    return done(first);
  }

  // Production from its registered artifact: its shipped file, and its TF.js model.
  let productionPreds: Awaited<ReturnType<typeof productionPredictions>>;
  try {
    productionPreds = await productionPredictions(production, services, runDir, evaluation.images);
  } catch (err) {
    const message = (err as Error).message;
    return done(decideWithoutBaseline(state.model_version!, production.version, message, ctx));
  }
  const productionJudged = judge(production.version, productionPreds.tfjs, productionPreds.shipped);
  if (productionJudged.judged.fallback)
    log(`analyze_performance: ${productionJudged.judged.fallback}`);

  // 2. The comparison, and what an LLM analyst would be told.
  const started = performance.now();
  const compared = compareModels({
    state,
    config: cfg,
    images: evaluation.images,
    evaluation_set: ctx.evaluation_set,
    candidate: candidate.predictions,
    production: productionJudged.predictions,
    productionVersion: production.version,
    judged: { candidate: candidate.judged, production: productionJudged.judged },
  });
  const deterministicMs = Math.round(performance.now() - started);

  // 3. The LLM analyst when one is configured (its prompt and answer kept), then the decision.
  let llm: LlmOutcome | null = null;
  if ("ask" in services.analyst) {
    await writePrompt(analysisDir, compared.prompt, services.analyst);
    llm = await services.analyst.ask(compared.prompt);
    await writeLlmAnswer(analysisDir, llm);
  }
  const decided = decide(compared, llm, ctx);

  // 4. The evidence.
  await writeAnalysis(analysisDir, {
    compared,
    candidate: candidateTfjs,
    deterministicMs,
    llm,
    final: decided.final,
  });
  return done(decided);
}
