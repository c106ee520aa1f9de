/** Run ids become folder names and checkpoint threads: only plain names pass. */
import { describe, expect, it } from "vitest";
import { newRunId, runIdProblem } from "../../app/pipeline.ts";

describe("run ids", () => {
  it("accepts the ids the pipeline makes and plain names", () => {
    expect(runIdProblem(newRunId())).toBeUndefined();
    expect(runIdProblem("nightly-2026.12.01_a")).toBeUndefined();
  });

  it.each([
    ["../../etc", /not a plain name/],
    ["a/b", /not a plain name/],
    ["/tmp/x", /not a plain name/],
    ["a..b", /contains "\.\."/],
    ["", /not a plain name/],
    [".hidden", /not a plain name/],
    ["x".repeat(101), /not a plain name/],
  ])("refuses %j", (id, why) => {
    expect(runIdProblem(id)).toMatch(why);
  });
});
