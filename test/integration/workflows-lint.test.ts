/** Every workflow and action file passes actionlint, action-validator and the project's rules. */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { lintWorkflowFiles, projectRules } from "../../scripts/lint-workflows.ts";

describe("workflow and action files", () => {
  it("all pass the linters", async () => {
    const { files, problems } = await lintWorkflowFiles(resolve(import.meta.dirname, "../.."));
    expect(files).toEqual(
      expect.arrayContaining([
        ".github/workflows/pipeline.yml",
        ".github/workflows/promote.yml",
        ".github/workflows/manifest-review.yml",
        ".github/workflows/bucket-watch.yml",
        ".github/workflows/ci.yml",
        "actions/pipeline/action.yml",
      ]),
    );
    expect(problems).toEqual([]);
  }, 60_000);

  it("the project's rules catch what they are for", () => {
    const bad = [
      "name: x",
      "on: push",
      "jobs:",
      "  build:",
      "    runs-on: ubuntu-latest",
      "    steps:",
      "      - uses: actions/checkout@v4",
      '      - run: echo "${{ github.event.pull_request.title }}"',
      "      - run: |",
      "          echo hi",
      "          echo ${{ github.event.head_commit.message }}",
    ].join("\n");
    const rules = projectRules("bad.yml", bad, "workflow").map(
      (p) => `${p.rule}${p.line ? `@${p.line}` : ""}`,
    );
    expect(rules).toEqual([
      "pin-actions@7",
      "no-event-in-run@8",
      "no-event-in-run@11",
      "permissions",
      "concurrency",
      "permissions",
    ]);
  });
});
