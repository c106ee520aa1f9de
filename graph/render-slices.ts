/**
 * What the pull request body and the run report say about how the models were judged: as
 * their shipped .tflite files (and any model judged as TF.js instead, with why), the shipped
 * files beside their TF.js models where the two differ, and the evaluation set's slices.
 * Every cell goes through tableCell; tag keys and values, text from a manifest, are shown
 * as code spans, so no link, emphasis or mention can come out of them. Pure.
 */
import type { JudgedModel } from "../lib/analyst/shipped.ts";
import { differingModels } from "../lib/analyst/shipped.ts";
import type { SliceRow } from "../lib/analyst/slices.ts";
import type { MlopsConfig } from "../lib/config.ts";
import { cell, codeSpan, escapeMarkdown } from "../lib/markdown.ts";
import { inert, pct, signed } from "./render-tables.ts";
import type { MLOpsStateType } from "./state.ts";

type Judged = Pick<MLOpsStateType, "judged_as_shipped">;

/** `mango_model_v3.tflite` (float32), or the TF.js model. */
function judgedAs(m: JudgedModel): string {
  if (m.source === "tfjs") return "its TF.js model";
  return `${codeSpan(m.file ?? "")}${m.variant ? ` (${escapeMarkdown(m.variant)})` : ""}`;
}

/**
 * One sentence on which file each model was judged as, then each fallback in bold; "" when
 * the state predates judging as shipped.
 */
export function judgedLine(state: Judged): string {
  const j = state.judged_as_shipped;
  if (!j) return "";
  const models = [j.candidate, j.production].filter((m): m is JudgedModel => !!m);
  const named = models.map((m) => `${escapeMarkdown(m.version)} as ${judgedAs(m)}`);
  const fallbacks = models.flatMap((m) => (m.fallback ? [`**${inert(m.fallback)}.**`] : []));
  const shipped = models.every((m) => m.source === "tflite");
  return [
    `Judged as shipped: ${named.join(", ")}${shipped ? ", each run in LiteRT with the preprocessing and labels its own metadata declares" : ""}.`,
    ...fallbacks,
  ].join(" ");
}

/**
 * Each model whose shipped file and TF.js model disagree on some image: both sets of
 * numbers and how many images changed class. "" when none does, so the section is shown
 * only when there is something to see.
 */
export function shippedVsTfjsTable(state: Judged, cfg: Pick<MlopsConfig, "policy">): string {
  const models = differingModels(state.judged_as_shipped);
  if (!models.length) return "";
  const critical = cell(cfg.policy.critical_class);
  const pair = (a: number, b: number | undefined) => `${pct(a)} | ${pct(b)}`;
  return [
    `| model | file | accuracy TF.js | accuracy .tflite | macro-F1 TF.js | macro-F1 .tflite | ${critical} F1 TF.js | ${critical} F1 .tflite | images whose class differs |`,
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...models.map(
      (m) =>
        `| ${cell(m.version)} | ${cell(codeSpan(m.file ?? ""))} | ${pair(m.tfjs.accuracy, m.tflite?.accuracy)} | ${pair(m.tfjs.macro_f1, m.tflite?.macro_f1)} | ${pair(m.tfjs.critical_f1, m.tflite?.critical_f1)} | ${m.differing} |`,
    ),
    "",
    "The decision rests on the .tflite columns: they are what the app runs.",
  ].join("\n");
}

/** A slice's critical-class F1, production to candidate, when it holds enough of that class. */
function criticalCell(r: SliceRow): string {
  if (!r.critical) return "–";
  const c = r.critical;
  return `${c.production_f1 === null ? "" : `${pct(c.production_f1)} → `}${pct(c.candidate_f1)} (${c.n})`;
}

/** The Slices table and what it leaves out; "" when the state has no slices. */
export function slicesSection(state: Pick<MLOpsStateType, "slices">): string {
  const s = state.slices;
  if (!s) return "";
  if (!s.rows.length)
    return "_The evaluation manifest tags none of its images (`images[].tags`: farm, camera, lighting, ...), so there are no slices to report._";
  const critical = cell(s.critical_class);
  const rows = s.rows.map((r) =>
    [
      cell(codeSpan(r.key)),
      cell(codeSpan(r.value)),
      cell(r.n),
      cell(r.production === null ? "–" : pct(r.production)),
      cell(pct(r.candidate)),
      cell(r.delta === null ? "–" : signed(r.delta)),
      cell(r.half_width === null || !r.judged ? "–" : (r.half_width * 100).toFixed(1)),
      cell(criticalCell(r)),
      cell(r.verdict === "failed" ? "❌ failed" : r.verdict === "passed" ? "✅ passed" : r.verdict),
    ].join(" | "),
  );
  const limit =
    s.max_accuracy_drop === null
      ? "Reported only: set `policy.slices.max_accuracy_drop` to hold every judged slice to an allowed accuracy drop."
      : `A judged slice may lose at most ${(s.max_accuracy_drop * 100).toFixed(1)} pts of accuracy (\`policy.slices.max_accuracy_drop\`).`;
  return [
    `| tag | value | images | production | candidate | change (pts) | ± at 95% (pts) | ${critical} F1 (images) | verdict |`,
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows.map((r) => `| ${r} |`),
    "",
    `Each tag value of the evaluation manifest is a slice; one with fewer than ${s.min_images} images is too few to judge and only listed. ${limit}`,
    ...s.omitted.map(
      (o) =>
        `Tag ${codeSpan(o.key)} has ${o.values} more value(s) with too few images to judge (${o.images} images), not listed one by one.`,
    ),
    ...(s.untagged ? [`${s.untagged} evaluation image(s) carry no tag.`] : []),
  ].join("\n");
}
