/**
 * Rendering of a quality report for people: the markdown posted on a run / pull request,
 * and the short failure analysis an alert carries. Pure: report in, text out. The VLM's
 * words are shown as quoted data, never as part of our own sentences.
 */
import { CHECK_NAMES } from "./config.ts";
import type { QualityReport } from "./assess.ts";
import type { ImageReport } from "./shard-check.ts";
import type { Finding } from "./score.ts";

const cell = (s: string) =>
  s
    .replace(/\|/g, "\\|")
    .replace(/[\r\n]+/g, " ")
    .replace(/</g, "&lt;");
/** A contributor's or the VLM's text inside a table: code-formatted, so markdown in it stays text. */
const quoted = (s: string) =>
  `\`${s
    .replace(/`/g, "'")
    .replace(/\|/g, "\\|")
    .replace(/[\r\n]+/g, " ")}\``;

function errorsOf(img: ImageReport): Finding[] {
  return img.findings.filter((f) => f.severity === "error");
}

/** Images with findings, worst first: most errors, then most warnings, then manifest order. */
export function worstImages(report: QualityReport, limit = 20): ImageReport[] {
  return report.images
    .map((img, i) => ({ img, i, e: errorsOf(img).length, w: img.findings.length }))
    .filter((x) => x.w > 0)
    .sort((a, b) => b.e - a.e || b.w - a.w || a.i - b.i)
    .slice(0, limit)
    .map((x) => x.img);
}

/** Images the VLM doubted (not a clear mango photo, or an implausible label). */
function doubted(report: QualityReport): ImageReport[] {
  return report.images.filter(
    (i) => i.review && (!i.review.clear_mango_photo || !i.review.label_plausible),
  );
}

function verdict(report: QualityReport, threshold: number): string {
  return report.quality_score >= threshold ? "PASS" : "FAIL";
}

/** The VLM's status in one line: its numbers, or plainly why it was not consulted. */
export function vlmStatusLine(report: QualityReport): string {
  const v = report.breakdown.vlm;
  if (!v.consulted)
    return `VLM not consulted: ${v.reason ?? "not configured"}. The deterministic score stands.`;
  const r = report.vlm?.consulted ? report.vlm : undefined;
  return `VLM ${r?.model ?? ""} reviewed ${r?.sampled ?? 0} sampled images: it scored ${v.reported?.toFixed(1)}, its per-image findings support ${v.evidence?.toFixed(1)} (${r?.ok_images ?? 0}/${r?.sampled ?? 0} clear with a plausible label); ${v.used?.toFixed(1)} entered the combination with weight ${v.weight}.`;
}

/** The whole report as markdown: verdict, score breakdown, checks, classes, VLM, worst images, scoring. */
export function renderQualityMarkdown(
  report: QualityReport,
  opts: {
    threshold: number;
    title?: string;
    contactSheet?: string;
    /** What the sheet shows: the flagged images (default) or a sample of a clean batch. */
    contactSheetShows?: "flagged" | "sample";
  },
): string {
  const { threshold } = opts;
  const b = report.breakdown;
  const lines: string[] = [];
  lines.push(`# ${opts.title ?? "Data quality"}`, "");
  lines.push(
    `**quality_score ${report.quality_score.toFixed(1)} / 10** (threshold ${threshold.toFixed(1)}): **${verdict(report, threshold)}**. ` +
      `${report.counts.passed} of ${report.counts.images} images pass; ${report.counts.failed} refused.`,
    "",
  );
  lines.push(
    `- per-image checks: ${b.images_score.toFixed(1)}`,
    `- batch factor (label balance): ${b.batch_factor}`,
    `- deterministic score: ${b.deterministic.toFixed(1)}`,
    `- ${vlmStatusLine(report)}`,
    `- quality_score: ${b.quality_score.toFixed(1)}`,
    "",
  );
  if (opts.contactSheet)
    lines.push(
      opts.contactSheetShows === "sample"
        ? `Nothing flagged; a sample of the batch: [contact sheet](${opts.contactSheet})`
        : `Worst images: [contact sheet](${opts.contactSheet})`,
      "",
    );

  lines.push(
    "## Checks",
    "",
    "| check | refused | warnings | images touched | share of batch | score | weight | passes when | what it is for |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
  );
  for (const name of CHECK_NAMES) {
    const c = report.checks[name];
    const weight = c.warning_weight ? `${c.weight} (warnings ${c.warning_weight})` : `${c.weight}`;
    lines.push(
      `| ${name} | ${c.failed}/${c.total} | ${c.warnings} | ${c.touched} | ${(c.share * 100).toFixed(2)}% | ${c.score.toFixed(1)} | ${weight} | ${cell(c.threshold ?? "")} | ${cell(c.description)} |`,
    );
  }
  lines.push("");
  const search = report.copy_search;
  if (search) {
    const against = search.compared_with.length
      ? `, and against ${search.compared_with.map((s) => `${cell(s.name)} (${s.images} images)`).join(", ")}`
      : "";
    lines.push(
      `Copy search: within the batch${against}; ${search.candidates} candidate pairs within the hash radius, ${search.compared} compared as pictures.`,
      "",
    );
  }

  const l = report.labels;
  lines.push(
    "## Labels",
    "",
    `Balance of the training data ${l.previous ? `(${cell(l.previous)} plus this batch)` : "(this batch)"}: ${l.balance} (1 = balanced, 0 = a class is empty). ` +
      `Shift from the last trained data: ${l.shift === null ? "no earlier data" : l.shift}.`,
    "",
  );
  for (const f of l.findings)
    lines.push(`- **${f.check}** (${f.severity}): ${cell(f.message)}. Fix: ${cell(f.fix)}.`);
  if (l.findings.length) lines.push("");

  lines.push(
    "## Per class",
    "",
    "| class | images | share | passed | refused | refused by check | with earlier data |",
    "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
  );
  for (const [label, c] of Object.entries(report.per_class).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const by = Object.entries(c.failed_by_check)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    lines.push(
      `| ${quoted(label)} | ${c.images} | ${(c.share * 100).toFixed(1)}% | ${c.passed} | ${c.failed} | ${by} | ${l.combined[label] ?? "-"} |`,
    );
  }
  lines.push("");

  lines.push("## VLM review", "", vlmStatusLine(report), "");
  if (report.vlm?.consulted) {
    if (report.vlm.issues.length)
      lines.push(
        "Its remarks (quoted as it gave them; not acted upon):",
        "",
        ...report.vlm.issues.map((s) => `- ${quoted(s)}`),
        "",
      );
    const flagged = doubted(report);
    if (flagged.length) {
      lines.push(
        "| image | class | clear mango photo | label plausible | problems | its comment |",
        "| --- | --- | --- | --- | --- | --- |",
      );
      for (const img of flagged) {
        const r = img.review!;
        lines.push(
          `| ${quoted(img.key)} | ${quoted(img.label)} | ${r.clear_mango_photo ? "yes" : "no"} | ${r.label_plausible ? "yes" : "no"} | ${r.problems.join(", ")} | ${quoted(r.comment)} |`,
        );
      }
      lines.push("");
    }
  }
  if (report.vlm && report.vlm.attempts.length) {
    lines.push(
      `Attempts: ${report.vlm.attempts.map((a) => `${a.attempt}: ${a.outcome}${a.status ? ` ${a.status}` : ""} (${a.ms} ms, ${a.images} images)`).join("; ")}.`,
      "",
    );
  }

  const worst = worstImages(report);
  const withFindings = report.images.filter((i) => i.findings.length > 0).length;
  if (worst.length) {
    lines.push(
      `## Images to fix${withFindings > worst.length ? ` (worst ${worst.length} of ${withFindings})` : ""}`,
      "",
      "| image | class | problem | what to do |",
      "| --- | --- | --- | --- |",
    );
    for (const img of worst) {
      for (const f of img.findings) {
        const tag = f.severity === "warning" ? " (warning)" : "";
        lines.push(
          `| ${quoted(img.key)} | ${quoted(img.label)} | ${f.check}${tag}: ${cell(f.message)} | ${cell(f.fix)} |`,
        );
      }
    }
    lines.push("");
  } else {
    lines.push("No image has a finding.", "");
  }

  lines.push("## How the score is computed", "", report.scoring, "");
  return lines.join("\n");
}

/**
 * A short, actionable text for a batch below the threshold: the failing checks with
 * counts, batch-level problems, the VLM's status, then each refused file (up to
 * `maxFiles`) with what is wrong and what to do.
 */
export function failureAnalysis(report: QualityReport, threshold: number, maxFiles = 10): string {
  const lines: string[] = [];
  const status = report.quality_score >= threshold ? "passes" : "is below";
  lines.push(
    `Data quality score ${report.quality_score.toFixed(1)}/10 ${status} the ${threshold.toFixed(1)} threshold: ${report.counts.failed} of ${report.counts.images} images refused.`,
  );
  const causes = CHECK_NAMES.filter((c) => report.checks[c].failed > 0)
    .sort((a, b) =>
      report.checks[b].score === report.checks[a].score
        ? report.checks[b].failed - report.checks[a].failed
        : report.checks[a].score - report.checks[b].score,
    )
    .map((c) => `${c} ${report.checks[c].failed}`);
  if (causes.length)
    lines.push(`Causes (images refused per check, worst first): ${causes.join(", ")}.`);
  const dup = report.checks.duplicate;
  if (dup.warnings > 0)
    lines.push(
      `Copies within one split: ${dup.warnings} image(s) (${((dup.warnings / Math.max(1, dup.total)) * 100).toFixed(1)}% of the batch), counted with weight ${dup.warning_weight ?? 0}.`,
    );
  for (const f of report.labels.findings.filter((x) => x.severity === "error"))
    lines.push(`Batch: ${f.message}. Fix: ${f.fix}.`);
  const b = report.breakdown;
  if (b.vlm.consulted && b.quality_score < b.deterministic) {
    lines.push(
      `The VLM review lowered the score from ${b.deterministic.toFixed(1)} to ${b.quality_score.toFixed(1)}: it found ${doubted(report).length} of ${report.vlm?.consulted ? report.vlm.sampled : 0} sampled images unclear or mislabelled (see the quality report).`,
    );
  } else if (!b.vlm.consulted) {
    lines.push(
      `VLM not consulted (${b.vlm.reason ?? "not configured"}): the score is the deterministic checks' alone.`,
    );
  }
  const refused = worstImages(report, Number.MAX_SAFE_INTEGER).filter(
    (img) => errorsOf(img).length > 0,
  );
  for (const img of refused.slice(0, maxFiles)) {
    const errs = errorsOf(img);
    const fixes = [...new Set(errs.map((f) => f.fix))];
    lines.push(
      `- ${img.key} (${img.label}): ${errs.map((f) => `${f.check}: ${f.message}`).join("; ")}. Fix: ${fixes.join("; ")}.`,
    );
  }
  if (refused.length > maxFiles)
    lines.push(`- ... and ${refused.length - maxFiles} more (see the quality report).`);
  lines.push(
    report.quality_score >= threshold
      ? "Training goes ahead without the refused files; fix or remove them in the manifest."
      : "Fix or remove these files and push the manifest again; nothing was trained.",
  );
  return lines.join("\n");
}
