/**
 * The manifest review's sticky comment: what a pull request's author controls (manifest
 * file names, image keys, labels quoted in findings, error text) is printed as inert text,
 * so the comment cannot carry a link, an image, HTML or a mention, nor break its table; a
 * manifest whose photos could not be fetched is "not judged", never "fails".
 */
import { describe, expect, it } from "vitest";
import {
  COMMENT_FINDINGS,
  type ManifestReview,
  notJudgedMessage,
  renderReviewComment,
} from "../../app/review-comment.ts";
import type { ReviewFinding } from "../../app/review-findings.ts";

const ZWSP = "\u200b";

const review = (over: Partial<ManifestReview>): ManifestReview => ({
  manifest: "data-manifests/farm-a.json",
  verdict: "fails",
  quality_score: 4.2,
  images: 10,
  refused: 3,
  findings: [],
  ...over,
});
const finding = (over: Partial<ReviewFinding>): ReviewFinding => ({
  file: "data-manifests/farm-a.json",
  line: 12,
  key: "farm-a/verde/1.jpg",
  checks: ["blur"],
  message: "blur: is blurred (Laplacian variance 4) (fix: retake the photo)",
  ...over,
});

describe("renderReviewComment", () => {
  it("renders an ordinary review: a table row and the findings to fix, each with its line", () => {
    const body = renderReviewComment(
      [review({ findings: [finding({})] })],
      7,
      "https://github.com/o/r/actions/runs/1",
    );
    expect(body).toContain(
      "| `data-manifests/farm-a.json` | 4.2 / 10 | 10 | 3 | ❌ fails |\n\n#### What to fix",
    );
    expect(body).toContain(
      "#### `data-manifests/farm-a.json`\n- line 12: `farm-a/verde/1.jpg`: blur\\: is blurred \\(Laplacian variance 4\\) \\(fix\\: retake the photo\\)",
    );
    expect(body).toContain(
      "Full reports: [workflow run](https://github.com/o/r/actions/runs/1) (job summary and artifacts).",
    );
    expect(body).not.toContain("Not judged");
  });

  it("keeps a hostile manifest name inside its code span and table cell", () => {
    const name = "data-manifests/x`|![p](http://e/p.png)`@ops.json";
    const body = renderReviewComment([review({ manifest: name, findings: [finding({})] })], 7);
    expect(body.split("\n")).toContain(
      "| ``data-manifests/x`\\|![p](http://e/p.png)`@ops.json`` | 4.2 / 10 | 10 | 3 | ❌ fails |",
    );
    expect(body.split("\n")).toContain("#### ``data-manifests/x`|![p](http://e/p.png)`@ops.json``");
  });

  it("escapes keys and messages of findings: no link, image, HTML or mention comes alive", () => {
    const body = renderReviewComment(
      [
        review({
          findings: [
            finding({
              key: "farm/[click](http://evil)`a.jpg",
              message: 'label: label "<img src=x>" of @admin is not in [verde]',
            }),
            finding({
              key: undefined,
              line: 3,
              message: "free text with ![i](http://e/i.png) and @team",
            }),
          ],
        }),
      ],
      7,
    );
    const items = body.split("\n").filter((l) => l.startsWith("- "));
    expect(items).toEqual([
      `- line 12: \`\`farm/[click](http://evil)\`a.jpg\`\`: label\\: label \\"\\<img src\\=x\\>\\" of \\@${ZWSP}admin is not in \\[verde\\]`,
      `- line 3: free text with \\!\\[i\\]\\(http\\:\\/\\/e\\/i\\.png\\) and \\@${ZWSP}team`,
    ]);
  });

  it("fences an error so that no line of it can close the fence", () => {
    const body = renderReviewComment(
      [review({ quality_score: null, error: "bad JSON\n```\n<script>x</script> @admin" })],
      7,
    );
    expect(body).toContain("| `data-manifests/farm-a.json` | – | 10 | 3 | ❌ fails |");
    expect(body).toContain(
      "#### `data-manifests/farm-a.json`\n````\nbad JSON\n```\n<script>x</script> @admin\n````",
    );
  });

  it(`lists ${COMMENT_FINDINGS} findings of a manifest and says how many more there are`, () => {
    const findings = Array.from({ length: COMMENT_FINDINGS + 7 }, (_, i) =>
      finding({ key: `k/${i}.jpg`, line: 10 + i }),
    );
    const items = renderReviewComment([review({ findings })], 7)
      .split("\n")
      .filter((l) => l.startsWith("- "));
    expect(items).toHaveLength(COMMENT_FINDINGS + 1);
    expect(items.at(-2)).toMatch(
      new RegExp(`^- line ${9 + COMMENT_FINDINGS}: \`k/${COMMENT_FINDINGS - 1}\\.jpg\``),
    );
    expect(items.at(-1)).toBe("- … and 7 more refused images: every one is in the full report");
  });

  it("says a manifest whose photos could not be fetched is not judged, and why, escaped", () => {
    const fault = notJudgedMessage(
      "photos",
      "GetObject s3://their-bucket/a.jpg failed: HTTP 403: Access Denied",
      "someone/mango-mlops",
    );
    expect(fault).toMatch(
      /^the photos could not be fetched: GetObject s3:\/\/their-bucket\/a\.jpg failed: HTTP 403: Access Denied; this is not a verdict on the data; a maintainer can rerun the failed jobs once /,
    );
    expect(fault).toContain("This pull request comes from the fork someone/mango-mlops");
    const body = renderReviewComment(
      [review({ verdict: "not_judged", quality_score: null, images: 0, refused: 0, fault })],
      7,
    );
    expect(body).toContain("| `data-manifests/farm-a.json` | – | 0 | 0 | ⚠️ not judged |");
    expect(body).not.toContain("What to fix");
    expect(body).toContain(
      "#### Not judged\n\n#### `data-manifests/farm-a.json`\n⚠️ the photos could not be fetched\\: GetObject s3\\:\\/\\/their\\-bucket",
    );
  });
});
