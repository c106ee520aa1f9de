/**
 * What the manifest-review action does with a review (app/review-action.ts), pure: each
 * refused image an error annotation on its manifest line, at most GitHub's 10 a step with
 * the failure's own, the rest counted in the failure; a manifest not judged first, and a
 * failure that says it is a fault to rerun, not a verdict.
 */
import { describe, expect, it } from "vitest";
import { ANNOTATIONS_PER_STEP, reviewReport } from "../../app/review-action.ts";
import type { ManifestReview } from "../../app/review-comment.ts";
import type { PullRequestReview } from "../../app/review-manifests.ts";

const file = "data-manifests/farm-b.json";
const refused = (n: number): ManifestReview => ({
  manifest: file,
  verdict: "fails",
  quality_score: 3,
  images: 40,
  refused: n,
  findings: Array.from({ length: n }, (_, i) => ({
    file,
    line: 8 + 6 * i,
    key: `farm-b/${i}.jpg`,
    checks: ["blur"],
    message: "blur: is blurred (fix: retake it)",
  })),
});
const reviewed = (results: ManifestReview[]): PullRequestReview => ({
  kind: "reviewed",
  results,
  failed: results.filter((r) => r.verdict === "fails").map((r) => r.manifest),
  notJudged: results.filter((r) => r.verdict === "not_judged").map((r) => r.manifest),
  body: "the comment",
  comment: { action: "created", url: "https://example.invalid/c/1" },
});

describe("reviewReport", () => {
  it("annotates each refused image on its line", () => {
    const report = reviewReport(reviewed([refused(2)]));
    expect(report.errors).toEqual([
      {
        title: "Data gate: blur",
        message: "farm-b/0.jpg: blur: is blurred (fix: retake it)",
        file,
        startLine: 8,
      },
      {
        title: "Data gate: blur",
        message: "farm-b/1.jpg: blur: is blurred (fix: retake it)",
        file,
        startLine: 14,
      },
    ]);
    expect(report.failure).toBe(`${file} below the data gate (see the pull request comment)`);
    expect(report.outputs).toEqual({ passed: "false", not_judged: "false" });
    expect(report.summary).toBe("the comment");
  });

  it("caps annotations at the step's limit, the failure included, and counts the rest", () => {
    const report = reviewReport(reviewed([refused(25)]));
    expect(report.errors).toHaveLength(ANNOTATIONS_PER_STEP - 1);
    expect(report.errors.at(-1)).toMatchObject({ startLine: 8 + 6 * 8 });
    expect(report.failure).toBe(
      `${file} below the data gate (see the pull request comment); 9 findings are annotated on their manifest lines, 16 more are in the pull request comment and the full report`,
    );
  });

  it("puts a manifest not judged first and fails as a fault, not a verdict", () => {
    const fault: ManifestReview = {
      manifest: "data-manifests/fork.json",
      verdict: "not_judged",
      quality_score: null,
      images: 0,
      refused: 0,
      findings: [],
      fault: "the photos could not be fetched: HTTP 403; this is not a verdict on the data; ...",
    };
    const report = reviewReport(reviewed([refused(12), fault]));
    expect(report.errors[0]).toEqual({
      title: "Manifest review: not judged",
      message: `data-manifests/fork.json: ${fault.fault}`,
    });
    expect(report.errors).toHaveLength(ANNOTATIONS_PER_STEP - 1);
    expect(report.failure).toBe(
      `data-manifests/fork.json not judged: a fault to rerun, not a verdict on the data (see the errors above); ${file} below the data gate`,
    );
    expect(report.outputs).toEqual({ passed: "false", not_judged: "true" });
  });

  it("passes with the refused images of a passing batch annotated, and with nothing to review", () => {
    const passing = { ...refused(1), verdict: "passes" as const };
    const report = reviewReport(reviewed([passing]));
    expect(report).toMatchObject({ outputs: { passed: "true", not_judged: "false" } });
    expect(report.errors).toEqual([expect.objectContaining({ file, startLine: 8 })]);
    expect(report.failure).toBeUndefined();
    expect(reviewReport({ kind: "no_manifests" })).toEqual({
      outputs: { passed: "true" },
      errors: [],
      info: ["no training manifest changed"],
    });
  });
});
