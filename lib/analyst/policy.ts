/**
 * The promotion policy's deterministic verdicts, one per check, as the report lists them:
 * value thresholds, change thresholds, the statistics' support and the .tflite gates.
 * Every analyst (rules or LLM) is held to these; none of them can be argued with.
 */
import type { Policy } from "../config.ts";
import type { ClassificationMetrics } from "../metrics.ts";
import type { ChangeInterval, PairedStatistics } from "./stats.ts";

/** The three outcomes of analyze_performance. */
export type Decision = "APPROVE" | "REJECT" | "HUMAN_REVIEW";

/**
 * One policy check, as listed in the report. A failed `reject` check means REJECT whatever
 * any analyst says; a failed `review` check only forbids APPROVE (a person decides).
 */
export interface PolicyVerdict {
  check: string;
  passed: boolean;
  detail: string;
  /** What a failure means; absent = "reject" (the checks that predate statistics). */
  severity?: "reject" | "review";
  /** The check could not run (e.g. no .tflite export yet) and says so in `detail`. */
  skipped?: boolean;
  /** `detail` quotes text from a manifest (tag values): renderers make it inert. */
  quotes_data?: boolean;
}

/** Change of one metric from production to candidate. */
export interface MetricDelta {
  metric: string;
  production: number;
  candidate: number;
  delta: number;
}

/** How the statistics classify one change against the policy's thresholds. */
export type ChangeClass = "clear_win" | "clear_loss" | "not_clear";

/** What a .tflite check measured for one variant (float32 or int8) of the candidate. */
export interface TfliteMetrics {
  variant: "float32" | "int8" | string;
  bytes: number;
  /** Largest |logit(TFLite) − logit(TF.js)| over the evaluation images. */
  max_logit_diff?: number;
  /** Share of images whose top class is the same in TFLite and TF.js. */
  argmax_agreement?: number;
  /** Accuracy of the .tflite model on the evaluation set. */
  accuracy?: number;
  [extra: string]: unknown;
}

export const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
export const pts = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)} pts`;
/** An allowance, unsigned: "2.0 pts". */
export const allowance = (x: number) => `${(x * 100).toFixed(1)} pts`;

/** The per-metric changes the report tabulates: accuracy, macro-F1 and each class's F1. */
export function metricDeltas(
  candidate: ClassificationMetrics,
  production: ClassificationMetrics,
): MetricDelta[] {
  const rows: MetricDelta[] = [
    {
      metric: "accuracy",
      production: production.accuracy,
      candidate: candidate.accuracy,
      delta: candidate.accuracy - production.accuracy,
    },
    {
      metric: "macro_f1",
      production: production.macro_f1,
      candidate: candidate.macro_f1,
      delta: candidate.macro_f1 - production.macro_f1,
    },
  ];
  for (const [label, c] of Object.entries(candidate.per_class)) {
    const p = production.per_class[label];
    if (!p) continue;
    rows.push({ metric: `f1.${label}`, production: p.f1, candidate: c.f1, delta: c.f1 - p.f1 });
  }
  return rows;
}

/** Value thresholds: the candidate alone against the policy's floors. */
export function valueVerdicts(candidate: ClassificationMetrics, policy: Policy): PolicyVerdict[] {
  const critical = candidate.per_class[policy.critical_class];
  const criticalF1 = critical?.f1 ?? 0;
  return [
    {
      check: "min_accuracy",
      passed: candidate.accuracy >= policy.min_accuracy,
      detail: `accuracy ${pct(candidate.accuracy)} vs minimum ${pct(policy.min_accuracy)}`,
    },
    {
      check: "min_critical_f1",
      passed: criticalF1 >= policy.min_critical_f1,
      detail: critical
        ? `${policy.critical_class} F1 ${pct(criticalF1)} vs minimum ${pct(policy.min_critical_f1)}`
        : `the evaluation set has no ${policy.critical_class} images, so the critical class cannot be judged`,
    },
  ];
}

/** The largest drop the policy allows for a metric key (macro-F1 shares accuracy's). */
export function allowedDrop(metric: string, policy: Policy): number {
  if (metric === `f1.${policy.critical_class}`) return policy.max_critical_f1_drop;
  if (metric.startsWith("f1.")) return policy.max_class_f1_drop;
  return policy.max_accuracy_drop;
}

/** Change thresholds on the point estimates: accuracy and each class's F1. */
export function changeVerdicts(deltas: MetricDelta[], policy: Policy): PolicyVerdict[] {
  const verdicts: PolicyVerdict[] = [];
  const acc = deltas.find((d) => d.metric === "accuracy")!;
  verdicts.push({
    check: "max_accuracy_drop",
    passed: -acc.delta <= policy.max_accuracy_drop + 1e-12,
    detail: `accuracy ${pts(acc.delta)} (allowed drop ${allowance(policy.max_accuracy_drop)})`,
  });
  for (const d of deltas.filter((x) => x.metric.startsWith("f1."))) {
    const label = d.metric.slice(3);
    const allowed = allowedDrop(d.metric, policy);
    verdicts.push({
      check:
        label === policy.critical_class ? "max_critical_f1_drop" : `max_class_f1_drop.${label}`,
      passed: -d.delta <= allowed + 1e-12,
      detail: `${label} F1 ${pct(d.production)} -> ${pct(d.candidate)} (${pts(d.delta)}, allowed drop ${allowance(allowed)})`,
    });
  }
  return verdicts;
}

/**
 * The decision rule's reading of one interval: a clear win lies entirely above
 * +min_improvement, a clear loss entirely below −(allowed drop); an interval that
 * straddles either threshold is not clear, whatever its point estimate.
 */
export function classifyChange(interval: ChangeInterval, policy: Policy): ChangeClass {
  if (interval.low > policy.min_improvement) return "clear_win";
  if (interval.high < -allowedDrop(interval.metric, policy)) return "clear_loss";
  return "not_clear";
}

/** `f1.maduro +7.0 pts [95% CI +4.9, +9.1]`. */
export function describeInterval(i: ChangeInterval, confidence: number): string {
  return `${i.metric} ${pts(i.delta)} [${Math.round(confidence * 100)}% CI ${pts(i.low).replace(" pts", "")}, ${pts(i.high)}]`;
}

/**
 * The statistics' verdicts: a clear loss of any judged metric rejects; APPROVE needs at
 * least one clear win (a `review` check: without one, a person decides).
 */
export function statisticsVerdicts(stats: PairedStatistics, policy: Policy): PolicyVerdict[] {
  const classes = stats.intervals.map((i) => ({ i, c: classifyChange(i, policy) }));
  const wins = classes.filter((x) => x.c === "clear_win");
  const losses = classes.filter((x) => x.c === "clear_loss");
  const all = classes
    .map((x) => `${describeInterval(x.i, stats.confidence)}: ${x.c.replace("_", " ")}`)
    .join("; ");
  return [
    {
      check: "statistics.no_clear_loss",
      passed: losses.length === 0,
      severity: "reject",
      detail: losses.length
        ? `clear loss beyond the allowed drop: ${losses.map((x) => describeInterval(x.i, stats.confidence)).join("; ")}`
        : `no interval lies entirely below its allowed drop (${stats.n} paired images, ${stats.resamples} resamples)`,
    },
    {
      check: "statistics.clear_win",
      passed: wins.length > 0,
      severity: "review",
      detail: wins.length
        ? `clear win: ${wins.map((x) => describeInterval(x.i, stats.confidence)).join("; ")}`
        : `no change is a clear win over +${allowance(policy.min_improvement)} on ${stats.n} images: ${all}`,
    },
  ];
}

/**
 * The .tflite gates (size budget; float32 logits match TF.js; int8 and int8_full agree
 * with TF.js and lose little accuracy). Absent metrics skip the gates and say so rather than pass
 * silently; an unmeasured gate of a present variant fails.
 */
export function tfliteVerdicts(
  tflite: TfliteMetrics | TfliteMetrics[] | undefined,
  candidateAccuracy: number,
  policy: Policy,
): PolicyVerdict[] {
  const variants = tflite === undefined ? [] : Array.isArray(tflite) ? tflite : [tflite];
  if (!variants.length)
    return [
      {
        check: "tflite",
        passed: true,
        skipped: true,
        detail: "skipped: no .tflite export was checked for this candidate",
      },
    ];
  const g = policy.tflite;
  const measured = (
    v: number | undefined,
    what: string,
    ok: (x: number) => boolean,
    text: (x: number) => string,
  ) =>
    v === undefined || !Number.isFinite(v)
      ? { passed: false, detail: `${what} was not measured` }
      : { passed: ok(v), detail: text(v) };
  const out: PolicyVerdict[] = [];
  for (const v of variants) {
    out.push({
      check: `tflite.${v.variant}.max_bytes`,
      passed: v.bytes <= g.max_bytes,
      detail: `${v.variant} .tflite ${v.bytes} bytes vs budget ${g.max_bytes}`,
    });
    if (v.variant === "float32") {
      out.push({
        check: "tflite.float32.max_logit_diff",
        ...measured(
          v.max_logit_diff,
          "float32 logit difference",
          (x) => x <= g.float32_max_logit_diff,
          (x) =>
            `largest logit difference from TF.js ${x.toExponential(2)} vs limit ${g.float32_max_logit_diff.toExponential(0)}`,
        ),
      });
    }
    const loose =
      v.variant === "int8"
        ? { agree: g.int8_min_argmax_agreement, drop: g.int8_max_accuracy_drop }
        : v.variant === "int8_full"
          ? { agree: g.int8_full_min_argmax_agreement, drop: g.int8_full_max_accuracy_drop }
          : undefined;
    if (loose) {
      out.push({
        check: `tflite.${v.variant}.argmax_agreement`,
        ...measured(
          v.argmax_agreement,
          `${v.variant} top-class agreement`,
          (x) => x >= loose.agree,
          (x) =>
            `top class agrees with TF.js on ${pct(x)} of images vs minimum ${pct(loose.agree)}`,
        ),
      });
      out.push({
        check: `tflite.${v.variant}.accuracy_drop`,
        ...measured(
          v.accuracy,
          `${v.variant} accuracy`,
          (x) => candidateAccuracy - x <= loose.drop + 1e-12,
          (x) =>
            `${v.variant} accuracy ${pct(x)} vs TF.js ${pct(candidateAccuracy)} (allowed drop ${allowance(loose.drop)})`,
        ),
      });
    }
  }
  return out;
}

/** The failed checks that force REJECT. */
export function rejectingFailures(verdicts: PolicyVerdict[]): PolicyVerdict[] {
  return verdicts.filter((v) => !v.passed && (v.severity ?? "reject") === "reject");
}

/** The failed checks that only forbid APPROVE. */
export function reviewFailures(verdicts: PolicyVerdict[]): PolicyVerdict[] {
  return verdicts.filter((v) => !v.passed && v.severity === "review");
}
