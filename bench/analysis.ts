/**
 * The analysis step's own cost, once both models' predictions exist: metrics, paired
 * statistics (McNemar + bootstrap with the default policy's resamples), policy verdicts,
 * confusions and the LLM prompt, on 2,000 evaluation images. No LLM call: that is the
 * endpoint's time, not ours. Aim: under 1 s.
 */
import { compareOnEvaluationSet } from "../lib/analyst/compare.ts";
import { applyGuardrails } from "../lib/analyst/guardrails.ts";
import { buildAnalystPrompt } from "../lib/analyst/llm.ts";
import { seededRandom } from "../lib/analyst/stats.ts";
import { PolicySchema } from "../lib/config.ts";

/** One benchmark line for the analysis step. */
export interface AnalysisBenchResult {
  bench: "analysis";
  images: number;
  resamples: number;
  ms: number;
}

/** Predictions of two plausible models (~91% and ~90% right, errors into neighbouring classes). */
function syntheticPredictions(images: number, k: number, seed: number) {
  const random = seededRandom(seed);
  const truth: number[] = [];
  const production: number[] = [];
  const candidate: number[] = [];
  for (let i = 0; i < images; i++) {
    const t = i % k;
    const neighbour = (t + (random() < 0.5 ? 1 : k - 1)) % k;
    truth.push(t);
    production.push(random() < 0.91 ? t : neighbour);
    candidate.push(random() < 0.9 ? t : neighbour);
  }
  return { truth, production, candidate };
}

/** Times the deterministic analysis of `images` paired predictions (median of `repeats`). */
export async function benchAnalysis(
  opts: { images?: number; repeats?: number } = {},
): Promise<AnalysisBenchResult> {
  const images = opts.images ?? 2000;
  const labels = ["verde", "pinton", "maduro", "sobremaduro", "hoja"];
  const policy = PolicySchema.parse({});
  const p = syntheticPredictions(images, labels.length, 1);
  const times: number[] = [];
  for (let r = 0; r < (opts.repeats ?? 5); r++) {
    const started = performance.now();
    const c = compareOnEvaluationSet({
      truth: p.truth,
      candidatePredictions: p.candidate,
      productionPredictions: p.production,
      labels,
      policy,
      candidateVersion: "v2",
      productionVersion: "v1",
    });
    const prompt = buildAnalystPrompt({
      model_name: "mango-ripeness",
      candidate_version: "v2",
      production_version: "v1",
      critical_class: policy.critical_class,
      evaluation_set: {
        path: "data-manifests/eval/evaluation.json",
        sha256: "0".repeat(64),
        images,
      },
      training_data: [],
      candidate: c.candidate,
      production: c.production,
      deltas: c.analysis.deltas,
      verdicts: c.analysis.verdicts,
      statistics: c.statistics,
      confusion_changes: c.confusions,
    });
    applyGuardrails({ rules: c.analysis, llm: null, metricKeys: prompt.metricKeys });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return {
    bench: "analysis",
    images,
    resamples: policy.statistics.resamples,
    ms: Math.round(times[Math.floor(times.length / 2)]!),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchAnalysis().then((r) => console.log(JSON.stringify(r)));
}
