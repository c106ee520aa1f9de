/**
 * Pure renderers of what people read: the promotion pull request's body and the model
 * card here, the run report in render-report.ts, the job summary in render-summary.ts, the
 * tables they share in render-tables.ts. No IO, so each is tested on plain data.
 */
import type { MlopsConfig } from "../lib/config.ts";
import type { ModelArtifact } from "../lib/registry.ts";
import {
  analystLine,
  comparisonTable,
  confusionChangeList,
  confusionTable,
  evaluationSetLine,
  inert,
  lineageList,
  pct,
  perClassTable,
  statisticsTable,
  tfliteTable,
  verdictList,
} from "./render-tables.ts";
import { judgedLine, shippedVsTfjsTable, slicesSection } from "./render-slices.ts";
import type { MLOpsStateType, PromotionRef } from "./state.ts";

export { renderRunReport, type ReportPlaces } from "./render-report.ts";
export { judgedLine, shippedVsTfjsTable, slicesSection } from "./render-slices.ts";
export {
  analystLine,
  confusionChangeList,
  confusionTable,
  perClassTable,
  statisticsTable,
  tfliteTable,
} from "./render-tables.ts";

/**
 * The pictures committed with a proposal, each as the link a reader follows: a URL of the
 * file at the proposal's commit on GitHub, its repository path on a local branch, its
 * file name in the model card (same folder). Absent: not drawn for this version.
 */
export type ProposalPlots = NonNullable<PromotionRef["plots"]>;

/** A link destination as Markdown reads it: bracketed when it holds spaces or parentheses. */
const destination = (url: string) => (/[\s()<>]/.test(url) ? `<${url.replace(/>/g, "%3E")}>` : url);

/** The pictures as Markdown images, with a line for a missing contact sheet; "" without any. */
export function plotImages(
  state: Pick<MLOpsStateType, "model_version">,
  plots: ProposalPlots = {},
): string {
  const v = state.model_version ?? "the candidate";
  const shown = [
    plots.curves &&
      `![Training curves of ${v}: loss and accuracy per epoch, train vs validation](${destination(plots.curves)})`,
    plots.confusion &&
      `![Confusion matrix of ${v} on the evaluation set](${destination(plots.confusion)})`,
  ].filter(Boolean);
  if (!shown.length && !plots.contactSheet) return "";
  shown.push(
    plots.contactSheet
      ? `![Contact sheet: the images of the new batch the data gate flagged, worst first, or a sample of each label when it flagged none](${destination(plots.contactSheet)})`
      : "_No contact sheet: the data gate could not draw one for this batch (its log says why)._",
  );
  return shown.join("\n\n");
}

/** The promotion pull request's body: the analysis a reviewer needs to merge or not. */
export function renderPullRequestBody(
  state: MLOpsStateType,
  cfg: MlopsConfig,
  artifact: ModelArtifact,
  plots?: ProposalPlots,
): string {
  const images = plotImages(state, plots);
  const m = state.candidate_metrics!;
  const t = state.training_summary!;
  const draft = state.deployment_decision === "HUMAN_REVIEW";
  const judged = judgedLine(state);
  const vsTfjs = shippedVsTfjsTable(state, cfg);
  const slices = slicesSection(state);
  return `${draft ? "> **Needs a human review** before it ships: merge only if you agree with the analysis below.\n\n" : ""}## ${cfg.model_name} ${state.model_version}: ${state.deployment_decision}

${state.confusion_changes.length ? `### Confusions that grew\n${confusionChangeList(state)}\n\n` : ""}**Why:** ${inert(state.decision_reason ?? "")}

${analystLine(state)}

Merging this pull request moves \`${cfg.paths.registry}/${cfg.model_name}/production.json\` to ${state.model_version}; the promote workflow then publishes the verified artifact. Reverting the merge rolls production back.

### Evaluation (frozen evaluation set, ${state.evaluation_set?.images ?? t.eval_images} images${evaluationSetLine(state)})
${comparisonTable(state)}
${judged ? `\n${judged}\n` : ""}${vsTfjs ? `\n### Shipped file vs TF.js\n${vsTfjs}\n` : ""}${state.analysis_statistics ? `\n### Statistics\n${statisticsTable(state, cfg)}\n` : ""}${slices ? `\n### Slices\n${slices}\n` : ""}
Candidate: accuracy **${pct(m.accuracy)}**, macro-F1 **${pct(m.macro_f1)}**, ${cfg.policy.critical_class} F1 **${pct(m.per_class[cfg.policy.critical_class]?.f1)}**.

${perClassTable(m)}

<details><summary>Confusion matrix</summary>

${confusionTable(m)}

</details>
${images ? `\n### Plots\n${images}\n` : ""}
### Policy checks (analyst: ${state.analyst})
${verdictList(state)}

### Data
Quality score of the new batch: **${state.quality_score?.toFixed(1)} / 10** (gate ${cfg.quality.threshold}); ${t.excluded_images} refused image(s) left out of training.
Trained on ${t.train_images} images (val ${t.val_images}), best epoch ${t.best_epoch} of ${t.epochs_run}, ${t.train_seconds.toFixed(0)} s on ${t.device ?? "an unrecorded device"}:
${lineageList(state)}

### TFLite (proven in LiteRT on the evaluation set)
${tfliteTable(state)}

The app reads labels and preprocessing from the file alone: its TFLite Support metadata (\`TFLITE_METADATA\`, with \`labels.txt\` packed in the file), as Android's Task Library and ML Kit read it (see worker/tflite/README.md).

## Artifact
${artifact.files.map((f) => `- \`${f.name}\` ${f.bytes} bytes, sha256 \`${f.sha256}\` at \`${f.uri}\``).join("\n")}

<sub>Run \`${state.run_id}\` of mango-mlops.</sub>
`;
}

function augmentationText(a: MlopsConfig["training"]["augment"]): string {
  if (a === false) return "no augmentation";
  return `augmentation: ${a.flip ? "mirror, " : ""}rotation up to ${a.rotation_deg} deg, crops keeping ${a.min_crop_area * 100}% of the area or more, brightness +-${a.brightness}, contrast +-${a.contrast}, no hue`;
}

/** `model-card.md` of a version. */
export function renderModelCard(
  state: MLOpsStateType,
  cfg: MlopsConfig,
  artifact: ModelArtifact,
  plots?: ProposalPlots,
): string {
  const images = plotImages(state, plots);
  const m = state.candidate_metrics!;
  const t = state.training_summary!;
  const tr = cfg.training;
  return `# Model card: ${cfg.model_name} ${state.model_version}

Classifies a photo of a mango (or a mango leaf) into ${cfg.labels.join(", ")} for the growers' app.

## Data
${lineageList(state)}

Evaluation: the frozen evaluation set \`${cfg.paths.eval_manifest}\` (${t.eval_images} images).

## Training
MobileNetV2 (width ${tr.alpha}, input ${tr.input_size}x${tr.input_size}), trained from scratch in TensorFlow.js on ${t.device ?? "an unrecorded device"}: batch ${tr.batch_size}, up to ${tr.epochs} epochs (stopped at ${t.epochs_run}, best ${t.best_epoch}), Adam lr ${tr.learning_rate} (${tr.lr_schedule}${tr.lr_schedule === "cosine" ? `, ${tr.warmup_epochs} warm-up epoch(s)` : ""}), early-stopping patience ${tr.patience}, label smoothing ${tr.label_smoothing}, dropout ${tr.dropout}, ${tr.class_weights ? "inverse-frequency class weights" : "unweighted loss"}, ${augmentationText(tr.augment)}, seed ${tr.seed}. ${t.train_images} training and ${t.val_images} validation images.

## Metrics on the evaluation set
Accuracy ${pct(m.accuracy)}, macro-F1 ${pct(m.macro_f1)}.

${perClassTable(m)}
${images ? `\n## Plots\n${images}\n` : ""}
## Artifact
Format ${artifact.format}; ${artifact.files.map((f) => `\`${f.name}\` (${f.bytes} bytes, sha256 \`${f.sha256}\`)`).join(", ")}.

## Known limits
- Trained from scratch (no pretrained weights are available offline): accuracy depends heavily on how much data the manifests hold.
- Judged only on the evaluation set above; photos unlike it (other cultivars, lighting, cameras) may score lower.
- Quantized variants are shipped only when they pass their gates; see the table above.
`;
}
