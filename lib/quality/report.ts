/**
 * Rendering of a quality report for people: the markdown posted on a run / pull request,
 * and the short failure analysis an alert carries. Pure: report in, text out.
 */
import { CHECK_NAMES } from "./config.ts";
import type { ImageReport, QualityReport } from "./assess.ts";
import type { Finding } from "./score.ts";

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

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

function verdict(report: QualityReport, threshold: number): string {
  return report.quality_score >= threshold ? "PASS" : "FAIL";
}

/** The whole report as markdown: verdict, per-check and per-class tables, worst images, scoring. */
export function renderQualityMarkdown(report: QualityReport, opts: { threshold: number; title?: string }): string {
  const { threshold } = opts;
  const lines: string[] = [];
  lines.push(`# ${opts.title ?? "Data quality"}`, "");
  lines.push(`**quality_score ${report.quality_score.toFixed(1)} / 10** (threshold ${threshold.toFixed(1)}): **${verdict(report, threshold)}**. ` +
    `${report.counts.passed} of ${report.counts.images} images pass; ${report.counts.failed} refused.`, "");

  lines.push("## Checks", "", "| check | failed | warnings | score | weight | passes when | what it is for |", "| --- | ---: | ---: | ---: | ---: | --- | --- |");
  for (const name of CHECK_NAMES) {
    const c = report.checks[name];
    lines.push(`| ${name} | ${c.failed}/${c.total} | ${c.warnings} | ${c.score.toFixed(1)} | ${c.weight} | ${cell(c.threshold ?? "")} | ${cell(c.description)} |`);
  }
  lines.push("");

  lines.push("## Per class", "", "| class | images | refused |", "| --- | ---: | ---: |");
  for (const [label, c] of Object.entries(report.per_class).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`| ${cell(label)} | ${c.images} | ${c.failed} |`);
  }
  lines.push("");

  const worst = worstImages(report);
  const withFindings = report.images.filter((i) => i.findings.length > 0).length;
  if (worst.length) {
    lines.push(`## Images to fix${withFindings > worst.length ? ` (worst ${worst.length} of ${withFindings})` : ""}`, "",
      "| image | class | problem | what to do |", "| --- | --- | --- | --- |");
    for (const img of worst) {
      for (const f of img.findings) {
        const tag = f.severity === "warning" ? " (warning)" : "";
        lines.push(`| \`${cell(img.key)}\` | ${cell(img.label)} | ${f.check}${tag}: ${cell(f.message)} | ${cell(f.fix)} |`);
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
 * counts, then each refused file (up to `maxFiles`) with what is wrong and what to do.
 */
export function failureAnalysis(report: QualityReport, threshold: number, maxFiles = 10): string {
  const lines: string[] = [];
  const status = report.quality_score >= threshold ? "passes" : "is below";
  lines.push(`Data quality score ${report.quality_score.toFixed(1)}/10 ${status} the ${threshold.toFixed(1)} threshold: ${report.counts.failed} of ${report.counts.images} images refused.`);
  const causes = CHECK_NAMES.filter((c) => report.checks[c].failed > 0)
    .sort((a, b) => report.checks[b].score === report.checks[a].score ? report.checks[b].failed - report.checks[a].failed : report.checks[a].score - report.checks[b].score)
    .map((c) => `${c} ${report.checks[c].failed}`);
  if (causes.length) lines.push(`Causes (images refused per check, worst first): ${causes.join(", ")}.`);
  const refused = worstImages(report, Number.MAX_SAFE_INTEGER).filter((img) => errorsOf(img).length > 0);
  for (const img of refused.slice(0, maxFiles)) {
    const errs = errorsOf(img);
    const fixes = [...new Set(errs.map((f) => f.fix))];
    lines.push(`- ${img.key} (${img.label}): ${errs.map((f) => `${f.check}: ${f.message}`).join("; ")}. Fix: ${fixes.join("; ")}.`);
  }
  if (refused.length > maxFiles) lines.push(`- ... and ${refused.length - maxFiles} more (see the quality report).`);
  lines.push(report.quality_score >= threshold
    ? "Training goes ahead without the refused files; fix or remove them in the manifest."
    : "Fix or remove these files and push the manifest again; nothing was trained.");
  return lines.join("\n");
}
