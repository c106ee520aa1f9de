/**
 * The pull-request review of dataset manifests: which manifests a change touches, the data
 * gate on each (the same code and the same comparisons as validate_data: the configured
 * evaluation set and production's training data, via `npm run validate`'s runner), and the
 * sticky comment that sums them up. Rendering is pure; the rest is IO.
 */
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { MlopsConfig } from "./config.ts";
import { git } from "./git.ts";
import { runValidate } from "../validate/cli.ts";

/** One reviewed manifest. */
export interface ManifestReview {
  manifest: string;
  passed: boolean;
  /** null when the manifest itself could not be used. */
  quality_score: number | null;
  images: number;
  refused: number;
  /** The worst findings, one line each. */
  findings: string[];
  error?: string;
}

/** Training manifests added or modified since `baseSha` (evaluation manifests excluded: they are reviewed by people). */
export async function changedManifests(
  repoDir: string,
  baseSha: string,
  config: MlopsConfig,
): Promise<string[]> {
  const out = await git(repoDir, [
    "diff",
    "--name-only",
    "--diff-filter=AM",
    `${baseSha}...HEAD`,
    "--",
    config.paths.manifests,
  ]);
  return out
    .split("\n")
    .filter(
      (p) =>
        p.endsWith(".json") &&
        !p.endsWith(".schema.json") &&
        p !== config.paths.eval_manifest &&
        !p.startsWith(`${config.paths.manifests}/eval/`),
    );
}

/** Runs the data gate on each manifest; never throws for a bad manifest. */
export async function reviewManifests(opts: {
  repoDir: string;
  manifests: string[];
  outDir: string;
  log: (m: string) => void;
}): Promise<ManifestReview[]> {
  const results: ManifestReview[] = [];
  for (const manifest of opts.manifests) {
    const out = join(opts.outDir, basename(manifest, ".json"));
    const lines: string[] = [];
    const code = await runValidate(
      {
        manifest: join(opts.repoDir, manifest),
        out,
        config: join(opts.repoDir, "mlops.config.json"),
        repo: opts.repoDir,
        merge: [],
      },
      (m) => {
        lines.push(m);
        opts.log(m);
      },
    ).catch((err: Error) => {
      lines.push(err.message);
      return 1;
    });
    const quality = await readFile(join(out, "quality.json"), "utf8")
      .then(
        (t) =>
          JSON.parse(t) as {
            quality_score: number;
            counts?: { images: number; failed: number };
            images?: Array<{
              key: string;
              findings: Array<{ check: string; severity: string; message: string }>;
            }>;
          },
      )
      .catch(() => undefined);
    if (!quality || code === 1) {
      results.push({
        manifest,
        passed: false,
        quality_score: null,
        images: 0,
        refused: 0,
        findings: [],
        error: lines.join("\n").slice(0, 2000) || "the data gate could not run",
      });
      continue;
    }
    const findings = (quality.images ?? []).flatMap((i) =>
      i.findings
        .filter((f) => f.severity === "error")
        .map((f) => `\`${i.key}\`: ${f.check}: ${f.message}`),
    );
    results.push({
      manifest,
      passed: code === 0,
      quality_score: quality.quality_score,
      images: quality.counts?.images ?? 0,
      refused: quality.counts?.failed ?? 0,
      findings: findings.slice(0, 10),
    });
  }
  return results;
}

/** The sticky comment's body; pure. */
export function renderReviewComment(
  results: ManifestReview[],
  threshold: number,
  runUrl?: string,
): string {
  const rows = results.map(
    (r) =>
      `| \`${r.manifest}\` | ${r.quality_score === null ? "–" : `${r.quality_score.toFixed(1)} / 10`} | ${r.images} | ${r.refused} | ${r.passed ? "✅ passes" : "❌ fails"} |`,
  );
  const details = results
    .filter((r) => !r.passed)
    .map(
      (r) =>
        `#### \`${r.manifest}\`\n${r.error ? "```\n" + r.error + "\n```" : r.findings.map((f) => `- ${f}`).join("\n")}`,
    );
  return [
    "### Data quality review",
    "",
    `Each changed manifest went through the same data gate as the pipeline (gate: ${threshold} / 10).`,
    "",
    "| manifest | quality score | images | refused | verdict |",
    "| --- | ---: | ---: | ---: | --- |",
    ...rows,
    "",
    ...(details.length ? ["#### What to fix", "", ...details, ""] : []),
    runUrl ? `Full reports: [workflow run](${runUrl}) (job summary).` : "",
  ].join("\n");
}
