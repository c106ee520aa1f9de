/**
 * The manifest review's sticky comment: what a pull request's author controls (manifest
 * file names, image keys, labels quoted in findings, error text) is printed as inert text,
 * so the comment cannot carry a link, an image, HTML or a mention, nor break its table.
 */
import { describe, expect, it } from "vitest";
import { renderReviewComment, type ManifestReview } from "../../app/review-manifests.ts";

const ZWSP = "\u200b";

const review = (over: Partial<ManifestReview>): ManifestReview => ({
  manifest: "data-manifests/farm-a.json",
  passed: false,
  quality_score: 4.2,
  images: 10,
  refused: 3,
  findings: [],
  ...over,
});

describe("renderReviewComment", () => {
  it("renders an ordinary review as before: a table row and the findings to fix", () => {
    const body = renderReviewComment(
      [review({ findings: ["`farm-a/verde/1.jpg`: blur: is blurred (Laplacian variance 4)"] })],
      7,
      "https://github.com/o/r/actions/runs/1",
    );
    expect(body).toContain(
      "| `data-manifests/farm-a.json` | 4.2 / 10 | 10 | 3 | ❌ fails |\n\n#### What to fix",
    );
    expect(body).toContain(
      "#### `data-manifests/farm-a.json`\n- `farm-a/verde/1.jpg`: blur: is blurred \\(Laplacian variance 4\\)",
    );
    expect(body).toContain(
      "Full reports: [workflow run](https://github.com/o/r/actions/runs/1) (job summary).",
    );
  });

  it("keeps a hostile manifest name inside its code span and table cell", () => {
    const name = "data-manifests/x`|![p](http://e/p.png)`@ops.json";
    const body = renderReviewComment([review({ manifest: name, findings: ["ok"] })], 7);
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
            '`farm/[click](http://evil)`a.jpg`: label: label "<img src=x>" of @admin is not in [verde]',
            "free text with ![i](http://e/i.png) and @team",
          ],
        }),
      ],
      7,
    );
    const items = body.split("\n").filter((l) => l.startsWith("- "));
    expect(items).toEqual([
      `- \`\`farm/[click](http://evil)\`a.jpg\`\`: label: label \\"\\<img src\\=x\\>\\" of \\@${ZWSP}admin is not in \\[verde\\]`,
      `- free text with \\!\\[i\\]\\(http\\:\\/\\/e\\/i\\.png\\) and \\@${ZWSP}team`,
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
});
