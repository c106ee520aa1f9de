/**
 * validate_data from manifest to files, shared by the graph node and `npm run validate`:
 * check (or merge shards), compare with earlier data, let the VLM review a sample, combine
 * the scores, and write quality.json, the markdown report and the contact sheet (the
 * images it flagged, or a sample of each label when it flagged none).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { MlopsConfig } from "../config.ts";
import { QUALITY_FILES } from "../run-folder.ts";
import type { Manifest, ManifestImage } from "../manifest.ts";
import { reviewThumbnail, stratifiedSample } from "../vlm/sample.ts";
import type { VlmReview, VlmReviewer, VlmSampleImage } from "../vlm/types.ts";
import { applyVlmReview, type EarlierSet, finishAssessment, type QualityReport } from "./assess.ts";
import type { LabelCounts } from "./batch-checks.ts";
import { renderContactSheet } from "./contact-sheet.ts";
import { checkShard, type ShardResult } from "./shard-check.ts";
import { failureAnalysis, renderQualityMarkdown, worstImages } from "./report.ts";
import { isDataError } from "../storage/index.ts";

/** Inputs of `runDataGate`. */
export interface DataGateInput {
  manifest: Manifest;
  /** How the manifest is named in reports (its repo path). */
  manifestName: string;
  load: (image: ManifestImage) => Promise<Buffer>;
  quality: MlopsConfig["quality"];
  /** Shard results to merge instead of checking the images here. */
  shards?: ShardResult[];
  earlier?: EarlierSet[];
  previousLabels?: { name: string; counts: LabelCounts };
  modelClasses?: readonly string[];
  /** The VLM, or why there is none (shown in the report as is). */
  reviewer: VlmReviewer | { reason: string };
  /** Notes for the report (e.g. an earlier set that could not be read). */
  notes?: string[];
  outDir: string;
  /** File name of the markdown report in `outDir`. */
  markdownName?: string;
  log?: (message: string) => void;
}

/** What the gate decided and where it wrote it. */
export interface DataGateResult {
  report: QualityReport;
  passed: boolean;
  /** For a failed batch: what is wrong and what to do; null when it passed. */
  failure_analysis: string | null;
  paths: { json: string; markdown: string; contactSheet: string | null };
}

const CONTACT_SHEET_IMAGES = 24;
const SAMPLE_SHEET_IMAGES = 12;

/** Up to `limit` images taking turns across labels (first label seen first), in manifest order. */
export function sampleOfBatch(report: QualityReport, limit: number): QualityReport["images"] {
  const byLabel = new Map<string, QualityReport["images"]>();
  for (const img of report.images) byLabel.set(img.label, [...(byLabel.get(img.label) ?? []), img]);
  const out: QualityReport["images"] = [];
  for (let round = 0; out.length < limit; round++) {
    const next = [...byLabel.values()].flatMap((imgs) => (imgs[round] ? [imgs[round]!] : []));
    if (!next.length) break;
    out.push(...next.slice(0, limit - out.length));
  }
  return out;
}

async function reviewSample(input: DataGateInput, report: QualityReport): Promise<VlmReview> {
  const reviewer = input.reviewer;
  if (!("review" in reviewer)) return { consulted: false, reason: reviewer.reason, attempts: [] };
  const settings = input.quality.vlm;
  const usable = report.images.filter((i) => !i.findings.some((f) => f.severity === "error"));
  const entries = new Map(input.manifest.images.map((m) => [m.key, m]));
  const images: VlmSampleImage[] = [];
  for (const img of stratifiedSample(
    usable,
    Math.min(settings.sample_size, settings.max_images_budget),
  )) {
    // A store fault is a run error here too (it propagates); only a bad image leaves the sample.
    const bytes = await input.load(entries.get(img.key)!).catch((err: unknown) => {
      if (!isDataError(err)) throw err;
      input.log?.(`validate_data: ${img.key} left out of the VLM sample: ${err.message}`);
      return undefined;
    });
    if (!bytes) continue;
    try {
      images.push({
        key: img.key,
        label: img.label,
        jpeg: await reviewThumbnail(bytes, settings.image_side, input.quality.checks.maxPixels),
      });
    } catch (err) {
      input.log?.(
        `validate_data: ${img.key} left out of the VLM sample: ${(err as Error).message}`,
      );
    }
  }
  input.log?.(`validate_data: asking VLM ${reviewer.model} about ${images.length} sampled images`);
  return reviewer.review({ labels: input.manifest.labels, images });
}

/** Runs the whole data gate and writes its files; never throws for bad images or a bad VLM. */
export async function runDataGate(input: DataGateInput): Promise<DataGateResult> {
  const { quality, manifest } = input;
  const threshold = quality.threshold;
  await mkdir(input.outDir, { recursive: true });
  const shards = input.shards ?? [
    await checkShard({
      manifest,
      load: input.load,
      config: quality.checks,
      concurrency: quality.concurrency,
    }),
  ];
  let report = finishAssessment(manifest, shards, {
    config: quality.checks,
    ...(input.earlier ? { earlier: input.earlier } : {}),
    ...(input.previousLabels ? { previousLabels: input.previousLabels } : {}),
    ...(input.modelClasses ? { modelClasses: input.modelClasses } : {}),
  });
  report = applyVlmReview(report, await reviewSample(input, report), quality.vlm.weight);

  let contactSheet: string | null = null;
  const worst = worstImages(report, CONTACT_SHEET_IMAGES);
  const doubted = report.images.filter(
    (i) =>
      i.review && (!i.review.clear_mango_photo || !i.review.label_plausible) && !worst.includes(i),
  );
  const flagged = [...worst, ...doubted].slice(0, CONTACT_SHEET_IMAGES);
  // Nothing flagged: a reviewer still sees what the batch looks like, a few of each label.
  const shown = flagged.length ? flagged : sampleOfBatch(report, SAMPLE_SHEET_IMAGES);
  if (shown.length) {
    const entries = new Map(manifest.images.map((m) => [m.key, m]));
    try {
      const jpeg = await renderContactSheet(
        shown,
        async (img) => input.load(entries.get(img.key)!),
        { maxPixels: quality.checks.maxPixels },
      );
      contactSheet = join(input.outDir, QUALITY_FILES.contactSheet);
      await writeFile(contactSheet, jpeg);
    } catch (err) {
      // The sheet illustrates the report; failing to draw it must not fail the gate.
      input.log?.(`validate_data: contact sheet not written: ${(err as Error).message}`);
    }
  }

  const passed = report.quality_score >= threshold;
  const json = join(input.outDir, QUALITY_FILES.json);
  const markdown = join(input.outDir, input.markdownName ?? QUALITY_FILES.markdown);
  await writeFile(
    json,
    JSON.stringify(
      { manifest: input.manifestName, threshold, passed, notes: input.notes ?? [], ...report },
      null,
      2,
    ) + "\n",
  );
  let md = renderQualityMarkdown(report, {
    threshold,
    title: `Data quality: ${input.manifestName}`,
    ...(contactSheet
      ? {
          contactSheet: QUALITY_FILES.contactSheet,
          contactSheetShows: flagged.length ? "flagged" : "sample",
        }
      : {}),
  });
  if (input.notes?.length) md += `\n## Notes\n\n${input.notes.map((n) => `- ${n}`).join("\n")}\n`;
  await writeFile(markdown, md);
  return {
    report,
    passed,
    failure_analysis: passed ? null : failureAnalysis(report, threshold),
    paths: { json, markdown, contactSheet },
  };
}
