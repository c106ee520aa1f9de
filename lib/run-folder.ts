/**
 * The run folder: every file a pipeline run writes, named once. A run's folder is
 * `<paths.runs>/<run_id>/`; the DL worker's output folder (the run's `candidate/`, or `npm
 * run train --out`) and the data gate's output folder have layouts of their own, named
 * here too, with the shapes of the files more than one module reads.
 */
import { join } from "node:path";

/** Files of the data gate's output folder (the run folder, or `npm run validate --out`). */
export const QUALITY_FILES = {
  json: "quality.json",
  /** In the run folder; `npm run validate` names it report.md. */
  markdown: "quality.md",
  contactSheet: "contact-sheet.jpg",
} as const;

/** Files of the DL worker's output folder. */
export const TRAINING_FILES = {
  /** The TF.js model (model.json + weights). */
  model: "tfjs",
  log: "training-log.jsonl",
  metrics: "metrics.json",
  predictions: "predictions.json",
  curves: "training-curves.svg",
  confusion: "confusion-matrix.svg",
} as const;

/** Files of the analysis folder (analyze_performance). */
export const ANALYSIS_FILES = {
  analysis: "analysis.json",
  prompt: "prompt.md",
  llmAnswer: "llm-answer.json",
} as const;

/** The paths of one run's files. */
export interface RunFolder {
  dir: string;
  /** The final (or last checkpointed) state. */
  state: string;
  /** The run's report (also the job summary in Actions). */
  report: string;
  /** The last alert, as sent to the file channel. */
  alert: string;
  /** The data gate's reports, in the run folder itself. */
  quality: { json: string; markdown: string; contactSheet: string };
  /** The DL worker's output for the candidate. */
  candidate: string;
  /** analyze_performance's evidence. */
  analysis: { dir: string; analysis: string; prompt: string; llmAnswer: string };
  /** Production's artifact of `version`, fetched and verified for the re-evaluation. */
  production(version: string): string;
  /** The body of the promotion pull request. */
  pullRequest: string;
}

/** The files of the run folder `dir`. */
export function runFolder(dir: string): RunFolder {
  const analysis = join(dir, "analysis");
  return {
    dir,
    state: join(dir, "state.json"),
    report: join(dir, "report.md"),
    alert: join(dir, "alert.md"),
    quality: {
      json: join(dir, QUALITY_FILES.json),
      markdown: join(dir, QUALITY_FILES.markdown),
      contactSheet: join(dir, QUALITY_FILES.contactSheet),
    },
    candidate: join(dir, "candidate"),
    analysis: {
      dir: analysis,
      analysis: join(analysis, ANALYSIS_FILES.analysis),
      prompt: join(analysis, ANALYSIS_FILES.prompt),
      llmAnswer: join(analysis, ANALYSIS_FILES.llmAnswer),
    },
    production: (version) => join(dir, "production", version),
    pullRequest: join(dir, "pull-request.md"),
  };
}

/**
 * `predictions.json` of a trained model: its argmax class per evaluation image, the images
 * named by sha256 in evaluation order, and the class names in output order.
 */
export interface PredictionsFile {
  labels: string[];
  keys: string[];
  predictions: number[];
  probabilities: number[][];
}

/**
 * `quality.json`: the gate's verdict on a manifest. A manifest that could not be used has
 * `error` and no per-image findings; a checked one carries the whole report besides.
 */
export interface QualityFileHead {
  manifest: string;
  threshold: number;
  passed: boolean;
  notes: string[];
  quality_score: number;
  error?: string;
}
