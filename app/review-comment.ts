/**
 * The manifest review's words: the sticky comment's body, and the sentence that says a
 * manifest was not judged because the photos could not be fetched (or the gate could not
 * run), which is a fault to rerun, never a verdict on the data. Every name, key and message
 * from a manifest is escaped, so none renders as a link, image, mention or HTML. Pure.
 */
import { codeBlock, codeSpan, escapeMarkdown, tableCell } from "../lib/markdown.ts";
import type { ReviewFinding } from "./review-findings.ts";

/** One reviewed manifest. */
export interface ManifestReview {
  manifest: string;
  /** Passes or fails the data gate; not judged when the gate could not run (a fault). */
  verdict: "passes" | "fails" | "not_judged";
  /** null when the manifest itself could not be used, or was not judged. */
  quality_score: number | null;
  images: number;
  refused: number;
  /** Every refused image (or problem of the manifest), with its line. */
  findings: ReviewFinding[];
  /** Why the manifest cannot be used: a verdict, fixed by fixing the manifest. */
  error?: string;
  /** Why it was not judged (`notJudgedMessage`): a fault, fixed by a rerun. */
  fault?: string;
}

/** Findings listed per manifest in the comment; the full report holds every one. */
export const COMMENT_FINDINGS = 30;

/**
 * Why a manifest was not judged, as the comment and the check say it. `photos`: the store
 * refused or could not be reached; `gate`: anything else that stopped the gate. `fork`
 * names the fork a pull request comes from, whose photos the repository's read-only key
 * must be able to read.
 */
export function notJudgedMessage(kind: "photos" | "gate", why: string, fork?: string): string {
  const what =
    kind === "photos" ? "the photos could not be fetched" : "the data gate could not run";
  const rerun =
    kind === "photos"
      ? "a maintainer can rerun the failed jobs once the store answers the read-only data key (secrets MLOPS_READ_AWS_*)"
      : "a maintainer can rerun the failed jobs";
  const forkNote = fork
    ? `. This pull request comes from the fork ${fork}: the review reads its photos with this repository's read-only key, never the fork's, so they must be where that key can read them (e.g. copied to the project's bucket by a maintainer)`
    : "";
  return `${what}: ${why}; this is not a verdict on the data; ${rerun}${forkNote}`;
}

function scoreCell(r: ManifestReview): string {
  return r.quality_score === null ? "–" : `${r.quality_score.toFixed(1)} / 10`;
}

const VERDICTS = { passes: "✅ passes", fails: "❌ fails", not_judged: "⚠️ not judged" };

function findingLine(f: ReviewFinding): string {
  return `- line ${f.line}: ${f.key === undefined ? "" : `${codeSpan(f.key)}: `}${escapeMarkdown(f.message)}`;
}

function whatToFix(r: ManifestReview): string {
  if (r.error) return `#### ${codeSpan(r.manifest)}\n${codeBlock(r.error)}`;
  const more = r.findings.length - COMMENT_FINDINGS;
  return [
    `#### ${codeSpan(r.manifest)}`,
    ...r.findings.slice(0, COMMENT_FINDINGS).map(findingLine),
    ...(more > 0 ? [`- … and ${more} more refused images: every one is in the full report`] : []),
  ].join("\n");
}

/** The sticky comment's body. */
export function renderReviewComment(
  results: ManifestReview[],
  threshold: number,
  runUrl?: string,
): string {
  const rows = results.map(
    (r) =>
      `| ${tableCell(codeSpan(r.manifest))} | ${scoreCell(r)} | ${r.images} | ${r.refused} | ${VERDICTS[r.verdict]} |`,
  );
  const failed = results.filter((r) => r.verdict === "fails").map(whatToFix);
  const notJudged = results
    .filter((r) => r.verdict === "not_judged")
    .map((r) => `#### ${codeSpan(r.manifest)}\n⚠️ ${escapeMarkdown(r.fault ?? "not judged")}`);
  return [
    "### Data quality review",
    "",
    `Each changed manifest went through the same data gate as the pipeline (gate: ${threshold} / 10).`,
    "",
    "| manifest | quality score | images | refused | verdict |",
    "| --- | ---: | ---: | ---: | --- |",
    ...rows,
    "",
    ...(failed.length ? ["#### What to fix", "", ...failed, ""] : []),
    ...(notJudged.length ? ["#### Not judged", "", ...notJudged, ""] : []),
    runUrl ? `Full reports: [workflow run](${runUrl}) (job summary and artifacts).` : "",
  ].join("\n");
}
