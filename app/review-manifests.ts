/**
 * The pull-request review of dataset manifests: which manifests a change touches, the data
 * gate on each (the same code and the same comparisons as validate_data: the configured
 * evaluation set and production's training data, app/validate.ts), and the
 * sticky comment that sums them up. Rendering is pure; the rest is IO.
 */
import { basename, join } from "node:path";
import type { MlopsConfig } from "../lib/config.ts";
import { git } from "../lib/git.ts";
import { isTrainingManifest } from "../lib/manifest-files.ts";
import { codeBlock, codeSpan, escapeMarkdown, tableCell } from "../lib/markdown.ts";
import { CHECK_NAMES } from "../lib/quality/config.ts";
import { upsertStickyComment } from "../lib/github/sticky-comment.ts";
import { gitHubOf, type HostHooks } from "./services.ts";
import { validateManifest } from "./validate.ts";

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

/** Training manifests (lib/manifest-files.ts) added or modified since `baseSha`; evaluation manifests are reviewed by people. */
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
  const changed = out.split("\n").filter(Boolean);
  const training: string[] = [];
  for (const path of changed)
    if (await isTrainingManifest(repoDir, path, config.paths)) training.push(path);
  return training;
}

/** Runs the data gate on each manifest; never throws for a bad manifest. */
export async function reviewManifests(opts: {
  repoDir: string;
  manifests: string[];
  outDir: string;
  log: (m: string) => void;
  env?: NodeJS.ProcessEnv;
}): Promise<ManifestReview[]> {
  const results: ManifestReview[] = [];
  for (const manifest of opts.manifests) {
    const failed = (error: string): ManifestReview => ({
      manifest,
      passed: false,
      quality_score: null,
      images: 0,
      refused: 0,
      findings: [],
      error: error.slice(0, 2000),
    });
    const outcome = await validateManifest(
      {
        manifest: join(opts.repoDir, manifest),
        out: join(opts.outDir, basename(manifest, ".json")),
        config: join(opts.repoDir, "mlops.config.json"),
        repo: opts.repoDir,
        merge: [],
      },
      { log: opts.log, ...(opts.env ? { env: opts.env } : {}) },
    ).catch((err: Error) => ({ kind: "error" as const, reason: err.message }));
    if (outcome.kind !== "checked") {
      results.push(failed("reason" in outcome ? outcome.reason : "the data gate could not run"));
      continue;
    }
    const { report, passed } = outcome.result;
    const findings = report.images.flatMap((i) =>
      i.findings
        .filter((f) => f.severity === "error")
        .map((f) => `\`${i.key}\`: ${f.check}: ${f.message}`),
    );
    results.push({
      manifest,
      passed,
      quality_score: report.quality_score,
      images: report.counts.images,
      refused: report.counts.failed,
      findings: findings.slice(0, 10),
    });
  }
  return results;
}

/**
 * A finding line as Markdown: the image key reviewManifests puts first in backticks
 * (followed by a check's name) as a code span, everything else as escaped text, so no key
 * or message from a manifest renders as a link, image, mention or HTML.
 */
function findingMarkdown(line: string): string {
  const [at, check] = CHECK_NAMES.map((c) => [line.indexOf(`\`: ${c}: `, 1), c] as const)
    .filter(([i]) => i > 0)
    .sort(([a], [b]) => a - b)[0] ?? [-1, ""];
  if (!line.startsWith("`") || at < 0) return escapeMarkdown(line);
  const message = line.slice(at + check.length + 5);
  return `${codeSpan(line.slice(1, at))}: ${check}: ${escapeMarkdown(message)}`;
}

/** The sticky comment's body; pure. Every name and message from a manifest is escaped. */
export function renderReviewComment(
  results: ManifestReview[],
  threshold: number,
  runUrl?: string,
): string {
  const rows = results.map(
    (r) =>
      `| ${tableCell(codeSpan(r.manifest))} | ${r.quality_score === null ? "–" : `${r.quality_score.toFixed(1)} / 10`} | ${r.images} | ${r.refused} | ${r.passed ? "✅ passes" : "❌ fails"} |`,
  );
  const details = results
    .filter((r) => !r.passed)
    .map(
      (r) =>
        `#### ${codeSpan(r.manifest)}\n${r.error ? codeBlock(r.error) : r.findings.map((f) => `- ${findingMarkdown(f)}`).join("\n")}`,
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

/** How the review of a pull request ended. */
export type PullRequestReview =
  | { kind: "no_manifests" }
  | {
      kind: "reviewed";
      results: ManifestReview[];
      /** Manifests below the data gate (the check fails on them). */
      failed: string[];
      /** The sticky comment's body, also the job summary. */
      body: string;
      comment: { action: string; url: string };
    };

/** Reviews the training manifests a pull request adds or changes, in one sticky comment. */
export async function reviewPullRequest(req: {
  repoDir: string;
  config: MlopsConfig;
  baseSha: string;
  pullRequest: number;
  env: NodeJS.ProcessEnv;
  hooks?: HostHooks;
  log: (m: string) => void;
}): Promise<PullRequestReview> {
  const { repoDir, config, env } = req;
  const github = gitHubOf(env, req.hooks);
  if (!github)
    throw new Error(
      "the manifest review needs GitHub to comment: GITHUB_TOKEN and GITHUB_REPOSITORY inside Actions (fix: pass the github_token input)",
    );
  const manifests = await changedManifests(repoDir, req.baseSha, config);
  if (!manifests.length) return { kind: "no_manifests" };
  const results = await reviewManifests({
    repoDir,
    manifests,
    outDir: join(repoDir, ".mlops", "review"),
    log: req.log,
    env,
  });
  const runUrl = env.GITHUB_RUN_ID
    ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
    : undefined;
  const body = renderReviewComment(results, config.quality.threshold, runUrl);
  const comment = await upsertStickyComment(github, req.pullRequest, "manifest-review", body);
  const failed = results.filter((r) => !r.passed).map((r) => r.manifest);
  return { kind: "reviewed", results, failed, body, comment };
}
