/**
 * The run report (`report.md`), rendered from the same fixed, hand-built state as the
 * pull request's body: compared whole with a snapshot and checked section by section, and
 * held to naming no absolute path of the runner that wrote it.
 */
import { describe, expect, it } from "vitest";
import { renderRunReport } from "../../graph/render.ts";
import type { MLOpsStateType } from "../../graph/state.ts";
import { approvedState, config, headings, tables } from "../helpers/fixed-state.ts";

/** Where a GitHub-hosted runner checks the repository out, and the run's folder in it. */
const REPO = "/home/runner/work/mango-mlops/mango-mlops";
const RUN = `${REPO}/.mlops/runs/20261201T120000-abc123`;

/** The fixed state as a run on that runner leaves it: every path absolute, a PR and its plots. */
function onRunner(): MLOpsStateType {
  const s = approvedState();
  const png = (name: string) =>
    `https://github.com/farm/mlops/blob/${"1".repeat(40)}/models/mango-ripeness/v3/${name}.png?raw=true`;
  return {
    ...s,
    quality_report_path: `${RUN}/quality.json`,
    candidate_model_path: `${RUN}/candidate/tfjs`,
    tflite: {
      ...s.tflite!,
      shipped: { variant: "float32", file: `${RUN}/candidate/mango_model_v3.tflite` },
    },
    analyst_trace: { ...s.analyst_trace!, analysis_dir: `${RUN}/analysis` },
    promotion: {
      ...s.promotion!,
      pr_body_path: `${RUN}/pull-request.md`,
      pr_url: "https://github.com/farm/mlops/pull/7",
      pr_number: 7,
      plots: { curves: png("training-curves"), confusion: png("confusion-matrix") },
    },
    alerts: [{ channel: "file", reason: "needs review", location: `${RUN}/alert.md` }],
  };
}

describe("the run report", () => {
  const report = renderRunReport(approvedState(), config, "proposed for promotion", {
    runDir: "/runs/20261201T120000-abc123",
    repoDir: "/repo",
  });

  it("names no path of the machine that ran it: run-folder files relative to the run folder", () => {
    const text = renderRunReport(onRunner(), config, "proposed", { runDir: RUN, repoDir: REPO });
    expect(text).not.toContain("/home/runner");
    expect(text).toContain("report: `quality.json`");
    expect(text).toContain("ships float32 `candidate/mango_model_v3.tflite`");
    expect(text).toContain("Evidence: `analysis`.");
    expect(text).toContain(
      "pull request https://github.com/farm/mlops/pull/7; pull request body: `pull-request.md`",
    );
    expect(text).toContain("- Alert (file): needs review: `alert.md`");
    expect(text).toContain("![training curves](candidate/training-curves.svg)");
    expect(text).toMatch(
      /On the proposal branch `mlops\/mango-ripeness-v3` as PNG: \[training curves\]\(https:\/\/github\.com\/farm\/mlops\/blob\/1{40}\/models\/mango-ripeness\/v3\/training-curves\.png\?raw=true\), \[confusion matrix\]/,
    );
    // Without the places (a report rendered elsewhere), what follows the run's folder.
    const bare = renderRunReport(onRunner(), config, "proposed");
    expect(bare).not.toContain("/home/runner");
    expect(bare).toContain("Evidence: `analysis`.");
  });

  it("has each section exactly once, and tables as wide as their headers", () => {
    expect(headings(report)).toEqual([
      "# Run 20261201T120000-abc123: proposed for promotion",
      "## Confusions that grew",
      "## Candidate vs production",
      "## Statistics",
      "## Analyst",
      "## Policy checks",
      "## Training",
      "## Steps",
    ]);
    for (const t of tables(report))
      expect(new Set(t.widths), t.header).toEqual(new Set([t.widths[0]]));
  });

  it("matches its snapshot", () => {
    expect(report).toMatchInlineSnapshot(`
      "# Run 20261201T120000-abc123: proposed for promotion

      - Manifest: \`data-manifests/farm-b.json\`
      - Data quality: 9.5 / 10 (gate 7); report: \`quality.json\`
      - Candidate: mango-ripeness v3, accuracy 91.7%, macro-F1 91.7%
      - TFLite: ships float32 \`mango_model_v3.tflite\`; float32 proven, int8 refused
      - Production: v2, accuracy 83.3%
      - Decision: **APPROVE**: v3 vs production v2\\: improves accuracy \\+8\\.3 pts \\[95\\% CI \\+1\\.7\\, \\+15\\.0 pts\\]\\; every policy check passes\\.
      - Promotion: branch \`mlops/mango-ripeness-v3\` at 0123456789; pull request body: \`pull-request.md\`

      ## Confusions that grew

      - v3 confused hoja with maduro 5.0 pts more often than v2 (10.0% vs 5.0% of hoja photos: 2 vs 1 of 20)

      ## Candidate vs production

      | metric | production v2 | candidate v3 | change (pts) |
      | --- | ---: | ---: | ---: |
      | accuracy | 83.3% | 91.7% | +8.3 |
      | f1.maduro | 75.7% | 90.0% | +14.3 |

      ## Statistics

      | metric | production | candidate | change (pts) | 95% interval (pts) | reading |
      | --- | ---: | ---: | ---: | ---: | --- |
      | accuracy | 83.3% | 91.7% | +8.3 | +1.7 to +15.0 | clear win |

      Paired on 60 images; percentile bootstrap, 2000 resamples, seed 20260101. McNemar's exact test on accuracy: 1 images only production gets right, 6 only the candidate, p = 0.125.
      A clear win lies entirely above +0.5 pts; a clear loss entirely below the allowed drop; an interval that straddles a threshold is not clear.

      ## Analyst

      **Decided by:** the rule-based analyst. No LLM analyst is configured (\`analyst.base_url\`). Evidence: \`analysis\`. Evaluation set \`data-manifests/eval/evaluation.json\`, sha256 \`eeeeeeeeeeee…\` (60 images).

      ## Policy checks

      - ✅ \`min_accuracy\`: accuracy 91.7% vs minimum 50.0%
      - ✅ \`statistics.clear_win\`: clear win: accuracy +8.3 pts [95% CI +1.7, +15.0 pts]
      - ⏭️ \`tflite\`: skipped: nothing to check

      ## Training

      ![training curves](candidate/training-curves.svg)

      ![confusion matrix](candidate/confusion-matrix.svg)

      Data quality details: [quality.md](quality.md) (the images it flagged, or a sample of a clean batch: [contact sheet](contact-sheet.jpg)).

      ## Steps

      - 2026-12-01T12:00:00.000Z \`check_for_new_data\`: farm\\-b\\.json
      - 2026-12-01T12:01:00.000Z \`deploy_to_production\`: v3
      "
    `);
  });
});
