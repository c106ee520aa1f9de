/**
 * The run report (`report.md`), rendered from the same fixed, hand-built state as the
 * pull request's body: compared whole with a snapshot and checked section by section.
 */
import { describe, expect, it } from "vitest";
import { renderRunReport } from "../../graph/render.ts";
import { approvedState, config, headings, tables } from "../helpers/fixed-state.ts";

describe("the run report", () => {
  const report = renderRunReport(approvedState(), config, "proposed for promotion");

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
      - Data quality: 9.5 / 10 (gate 7); report: \`/runs/20261201T120000-abc123/quality.json\`
      - Candidate: mango-ripeness v3, accuracy 91.7%, macro-F1 91.7%
      - TFLite: ships float32 \`/runs/x/mango_model_v3.tflite\`; float32 proven, int8 refused
      - Production: v2, accuracy 83.3%
      - Decision: **APPROVE**: v3 vs production v2\\: improves accuracy \\+8\\.3 pts \\[95\\% CI \\+1\\.7\\, \\+15\\.0 pts\\]\\; every policy check passes\\.
      - Promotion: branch \`mlops/mango-ripeness-v3\` at 0123456789; pull request body: \`/runs/20261201T120000-abc123/pull-request.md\`

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

      **Decided by:** the rule-based analyst. No LLM analyst is configured (\`analyst.base_url\`). Evidence: \`/runs/20261201T120000-abc123/analysis\`. Evaluation set \`data-manifests/eval/evaluation.json\`, sha256 \`eeeeeeeeeeee…\` (60 images).

      ## Policy checks

      - ✅ \`min_accuracy\`: accuracy 91.7% vs minimum 50.0%
      - ✅ \`statistics.clear_win\`: clear win: accuracy +8.3 pts [95% CI +1.7, +15.0 pts]
      - ⏭️ \`tflite\`: skipped: nothing to check

      ## Training

      ![training curves](candidate/training-curves.svg)

      ![confusion matrix](candidate/confusion-matrix.svg)

      Data quality details: [quality.md](quality.md) (worst images: [contact sheet](contact-sheet.jpg) when any were refused).

      ## Steps

      - 2026-12-01T12:00:00.000Z \`check_for_new_data\`: farm\\-b\\.json
      - 2026-12-01T12:01:00.000Z \`deploy_to_production\`: v3
      "
    `);
  });
});
