/**
 * The pipeline action's job summary: the typed summary of a run (graph/render-summary.ts)
 * written by the action's writer through `core.summary` into the file GITHUB_STEP_SUMMARY
 * names, then read back as the HTML GitHub shows: each heading once, every table row as
 * wide as its header, the pull request, the run's artifact and the plots linked, contributors'
 * text escaped, and no path of the runner.
 */
import * as core from "@actions/core";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { writeJobSummary } from "../../actions/lib/summary.ts";
import { artifactUrlOf, renderRunSummary } from "../../graph/render-summary.ts";
import type { MLOpsStateType } from "../../graph/state.ts";
import { approvedState, config } from "../helpers/fixed-state.ts";

const REPO = "/home/runner/work/mango-mlops/mango-mlops";
const RUN = `${REPO}/.mlops/runs/20261201T120000-abc123`;
const COMMIT = "1".repeat(40);
const png = (name: string) =>
  `https://github.com/farm/mlops/blob/${COMMIT}/models/mango-ripeness/v3/${name}.png?raw=true`;
const ARTIFACTS = artifactUrlOf({
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_REPOSITORY: "farm/mlops",
  GITHUB_RUN_ID: "4242",
});

/** The fixed state as a run on a hosted runner leaves it, with a reason holding markup. */
function onRunner(): MLOpsStateType {
  const s = approvedState();
  return {
    ...s,
    decision_reason: "clear win <script>alert(1)</script> | a pipe & more",
    quality_report_path: `${RUN}/quality.json`,
    candidate_model_path: `${RUN}/candidate/tfjs`,
    tflite: { ...s.tflite!, shipped: { variant: "float32", file: `${RUN}/candidate/m.tflite` } },
    promotion: {
      ...s.promotion!,
      commit: COMMIT,
      pr_body_path: `${RUN}/pull-request.md`,
      pr_url: "https://github.com/farm/mlops/pull/7",
      pr_number: 7,
      plots: { curves: png("training-curves"), confusion: png("confusion-matrix") },
    },
    alerts: [{ channel: "file", reason: "needs review", location: `${RUN}/alert.md` }],
  };
}

const all = (text: string, re: RegExp) => [...text.matchAll(re)];
const unescape = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");

/** The tables of the summary: rows of cell texts, the header row first. */
function tables(html: string): string[][][] {
  return all(html, /<table>(.*?)<\/table>/gs).map((t) =>
    all(t[1]!, /<tr>(.*?)<\/tr>/gs).map((r) =>
      all(r[1]!, /<t[hd]>(.*?)<\/t[hd]>/gs).map((c) => unescape(c[1]!)),
    ),
  );
}

let dir = "";
let file = "";
const written = () => readFile(file, "utf8");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "job-summary-"));
  file = join(dir, "summary.md");
  process.env.GITHUB_STEP_SUMMARY = file;
});
beforeEach(async () => {
  core.summary.emptyBuffer();
  await writeFile(file, "");
});
afterAll(async () => {
  delete process.env.GITHUB_STEP_SUMMARY;
  await rm(dir, { recursive: true, force: true });
});

describe("the job summary", () => {
  const places = {
    runDir: RUN,
    repoDir: REPO,
    artifactUrl: ARTIFACTS,
    artifactName: "mlops-run-x",
  };

  it("has each heading once and every table row as wide as its header", async () => {
    await writeJobSummary(renderRunSummary(onRunner(), config, "proposed for promotion", places));
    const html = await written();
    const heads = all(html, /<h([23])>(.*?)<\/h\1>/g).map((m) => unescape(m[2]!));
    expect(heads).toEqual([
      "Run 20261201T120000-abc123: proposed for promotion",
      "What happened",
      "Candidate vs production",
      "Candidate v3 per class",
      "Policy checks (analyst: rules)",
      "Alerts",
      "Links",
      "Plots",
    ]);
    const found = tables(html);
    expect(found.map((t) => t[0])).toEqual([
      ["item", "this run"],
      ["metric", "production v2", "candidate v3", "change (pts)"],
      ["class", "precision", "recall", "F1", "support"],
      ["check", "result", "detail"],
    ]);
    for (const t of found)
      for (const row of t) expect(row.length, row.join("|")).toBe(t[0]!.length);
    expect(found[2]).toContainEqual(["maduro", "90.0%", "90.0%", "90.0%", "20"]);
  });

  it("links the pull request, the run's artifact and the plots at the commit, and shows the plots", async () => {
    await writeJobSummary(renderRunSummary(onRunner(), config, "proposed", places));
    const html = await written();
    const hrefs = all(html, /<a href="([^"]*)">/g).map((m) => unescape(m[1]!));
    expect(hrefs).toEqual([
      "https://github.com/farm/mlops/pull/7",
      "https://github.com/farm/mlops/actions/runs/4242#artifacts",
      png("training-curves"),
      png("confusion-matrix"),
    ]);
    expect(html).toContain("artifact mlops-run-x");
    const images = all(html, /<img src="([^"]*)" alt="([^"]*)">/g).map((m) => unescape(m[1]!));
    expect(images).toEqual([png("training-curves"), png("confusion-matrix")]);
  });

  it("escapes contributors' text and names no path of the runner", async () => {
    await writeJobSummary(renderRunSummary(onRunner(), config, "proposed", places));
    const html = await written();
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; | a pipe &amp; more");
    expect(html).not.toContain("/home/runner");
    expect(html).not.toContain(tmpdir());
    expect(tables(html)[0]).toContainEqual([
      "TFLite",
      "ships float32 (candidate/m.tflite); float32 proven, int8 refused",
    ]);
    expect(html).toContain("<li>file: needs review (alert.md)</li>");
  });

  it("outside Actions and without a pull request, links nothing and says what went wrong", async () => {
    expect(artifactUrlOf({ GITHUB_REPOSITORY: "farm/mlops" })).toBeUndefined();
    const halted: MLOpsStateType = {
      ...approvedState(),
      promotion: null,
      failure_analysis_report: "3 images are not JPEGs:\n  b/x.png <not an image>",
    };
    await writeJobSummary(
      renderRunSummary(halted, config, "halted: data gate failed", { runDir: RUN, repoDir: REPO }),
    );
    const html = await written();
    expect(html).not.toMatch(/<h3>Links<\/h3>|<a href/);
    expect(html).toContain("<h3>What went wrong</h3>");
    expect(html).toContain("&lt;not an image&gt;");
  });
});
