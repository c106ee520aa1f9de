/**
 * analyze_performance, step 4: the evidence in the run folder's `analysis/`: analysis.json
 * (the facts, which file each model was judged as and where its TF.js model differs, the
 * slices, the rules' decision, the LLM's outcome and the final decision), prompt.md
 * (the model asked and the exact messages sent) and llm-answer.json (its raw answer).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { GuardedDecision } from "../../../lib/analyst/guardrails.ts";
import {
  type AnalystPrompt,
  llmAnswerRecord,
  type LlmOutcome,
  renderPromptFile,
} from "../../../lib/analyst/llm.ts";
import type { Analysis } from "../../../lib/analyst/rules.ts";
import type { ShippedJudgement } from "../../../lib/analyst/shipped.ts";
import type { SliceReport } from "../../../lib/analyst/slices.ts";
import type { EvaluationSetRef } from "../../state.ts";
import type { Compared } from "./compare.ts";
import type { CandidatePredictions } from "./predictions.ts";
import { ANALYSIS_FILES } from "../../../lib/run-folder.ts";

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value, null, 2) + "\n");
}

/** analysis.json of a first model: the rules alone decided. */
export async function writeFirstModelAnalysis(
  dir: string,
  record: {
    evaluation_set: EvaluationSetRef;
    candidate_version: string | null;
    analysis: Analysis;
    candidate_predictions: CandidatePredictions["source"];
    judged_as_shipped: ShippedJudgement;
    slices: SliceReport;
  },
): Promise<void> {
  const { analysis } = record;
  await writeJson(join(dir, ANALYSIS_FILES.analysis), {
    evaluation_set: record.evaluation_set,
    candidate_version: record.candidate_version,
    production_version: null,
    candidate_predictions: record.candidate_predictions,
    judged_as_shipped: record.judged_as_shipped,
    slices: record.slices,
    rules: analysis,
    final: { decision: analysis.decision, reason: analysis.reason, analyst: "rules" },
  });
}

/** prompt.md, before the LLM is asked. */
export async function writePrompt(
  dir: string,
  prompt: AnalystPrompt,
  asked: { model: string; base_url: string },
): Promise<void> {
  await writeFile(
    join(dir, ANALYSIS_FILES.prompt),
    renderPromptFile(prompt, { model: asked.model, base_url: asked.base_url }),
  );
}

/** llm-answer.json: the raw HTTP body as received, and what became of it. */
export async function writeLlmAnswer(dir: string, llm: LlmOutcome): Promise<void> {
  await writeJson(join(dir, ANALYSIS_FILES.llmAnswer), llmAnswerRecord(llm));
}

/** analysis.json of a compared candidate: everything the decision rests on. */
export async function writeAnalysis(
  dir: string,
  record: {
    compared: Compared;
    candidate: CandidatePredictions;
    deterministicMs: number;
    llm: LlmOutcome | null;
    final: GuardedDecision;
  },
): Promise<void> {
  const { compared, llm } = record;
  const rules = compared.comparison.analysis;
  await writeJson(join(dir, ANALYSIS_FILES.analysis), {
    ...compared.facts,
    // Both sources: the shipped files' predictions are compared, the TF.js ones kept beside.
    judged_as_shipped: compared.judged ?? null,
    slices: compared.comparison.slices ?? null,
    candidate_predictions: record.candidate.source,
    deterministic_ms: record.deterministicMs,
    rules: { decision: rules.decision, reason: rules.reason },
    llm: llm && {
      model: llm.model,
      attempts: llm.attempts,
      error: llm.error,
      elapsed_ms: llm.elapsed_ms,
      answer: llm.answer,
    },
    final: record.final,
  });
}
