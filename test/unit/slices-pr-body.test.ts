/**
 * The promotion pull request's Slices table and how the models were judged (as their
 * shipped .tflite files, beside TF.js where the two differ, and a production judged as TF.js
 * saying why), read back by a GFM parser cell by cell, a tag value full of Markdown included.
 */
import { marked, type Tokens } from "marked";
import { describe, expect, it } from "vitest";
import type { JudgedModel, ShippedJudgement } from "../../lib/analyst/shipped.ts";
import { computeSlices } from "../../lib/analyst/slices.ts";
import { renderPullRequestBody } from "../../graph/render.ts";
import { approvedState, artifact, config, headings, LABELS } from "../helpers/fixed-state.ts";

describe("the Slices table and the shipped files in the PR body", () => {
  const policy = { ...config.policy, slices: { ...config.policy.slices, max_accuracy_drop: 0.05 } };
  // 60 images: production gets every image right, the candidate misses 12 in the shade.
  const truth = Array.from({ length: 60 }, (_, i) => i % 3);
  const candidate = truth.map((t, i) => (i < 12 ? (t + 1) % 3 : t));
  const weird = "a|b *x* [l](https://evil.example) @octocat";
  const tags = truth.map((_, i) => ({
    lighting: i < 30 ? "shade" : "sun",
    farm: i < 40 ? weird : "farm-b",
  }));
  const slices = computeSlices({
    truth,
    candidate,
    production: truth,
    tags,
    labels: LABELS,
    policy,
  });
  const model = (over: Partial<JudgedModel>): JudgedModel => ({
    version: "v3",
    source: "tflite",
    file: "mango_model_v3.tflite",
    variant: "float32",
    fallback: null,
    tfjs: { accuracy: 0.9167, macro_f1: 0.9166, critical_f1: 0.9 },
    tflite: { accuracy: 0.9, macro_f1: 0.899, critical_f1: 0.88 },
    differing: 2,
    examples: [],
    ...over,
  });
  const judged: ShippedJudgement = {
    candidate: model({}),
    production: model({
      version: "v2",
      source: "tfjs",
      file: null,
      variant: null,
      fallback: "production judged as TF.js model: no .tflite in its artifact",
      tflite: null,
      differing: 0,
    }),
  };
  const body = renderPullRequestBody(
    { ...approvedState(), slices, judged_as_shipped: judged },
    { ...config, policy },
    artifact,
  );
  const tokens = marked.lexer(body);
  const tableUnder = (heading: string) => {
    const at = tokens.findIndex(
      (t) => t.type === "heading" && (t as Tokens.Heading).text === heading,
    );
    expect(at, heading).toBeGreaterThan(-1);
    return tokens.slice(at).find((t): t is Tokens.Table => t.type === "table")!;
  };

  it("has one Slices and one Shipped file vs TF.js section, after the evaluation and the statistics", () => {
    const heads = headings(body);
    for (const h of ["### Slices", "### Shipped file vs TF.js"])
      expect(heads.filter((x) => x === h)).toHaveLength(1);
    expect(heads.indexOf("### Shipped file vs TF.js")).toBe(heads.indexOf("### Statistics") - 1);
    expect(heads.indexOf("### Slices")).toBe(heads.indexOf("### Statistics") + 1);
    expect(new Set(heads).size).toBe(heads.length);
  });

  it("keeps every Slices cell intact as a GFM parser reads it, the tag value included", () => {
    const t = tableUnder("Slices");
    expect(t.header.map((h) => h.text)).toEqual([
      "tag",
      "value",
      "images",
      "production",
      "candidate",
      "change (pts)",
      "± at 95% (pts)",
      "maduro F1 (images)",
      "verdict",
    ]);
    for (const row of t.rows) expect(row).toHaveLength(t.header.length);
    const cells = t.rows.map((r) => r.map((c) => c.text));
    const shade = cells.find((r) => r[1] === "`shade`")!;
    expect(shade.slice(2)).toEqual([
      "30",
      "100.0%",
      "60.0%",
      "-40.0",
      "17.5",
      "100.0% → 60.0% (10)",
      "❌ failed",
    ]);
    // The value with a pipe, emphasis, a link and a mention is one cell: a code span of it.
    const farm = t.rows.find((r) => r[0]!.text === "`farm`" && r[2]!.text === "40")!;
    const html = marked.parseInline(farm[1]!.text, { async: false });
    expect(html).toBe(`<code>${weird}</code>`);
    expect(marked.parse(body, { async: false })).not.toContain('href="https://evil.example"');
    const few = cells.find((r) => r[1] === "`farm-b`")!;
    expect(few.slice(2)).toEqual(["20", "100.0%", "100.0%", "+0.0", "–", "–", "too few to judge"]);
    expect(body).toMatch(/fewer than 30 images is too few to judge and only listed/);
    expect(body).toMatch(/may lose at most 5\.0 pts of accuracy/);
  });

  it("shows the shipped file beside TF.js only for a model whose classes differ, and says production's fallback", () => {
    const t = tableUnder("Shipped file vs TF.js");
    expect(t.rows.map((r) => r.map((c) => c.text))).toEqual([
      ["v3", "`mango_model_v3.tflite`", "91.7%", "90.0%", "91.7%", "89.9%", "90.0%", "88.0%", "2"],
    ]);
    const html = marked.parse(body, { async: false });
    expect(html).toContain(
      "<strong>production judged as TF.js model: no .tflite in its artifact.</strong>",
    );
    expect(html).toMatch(
      /Judged as shipped: v3 as <code>mango_model_v3.tflite<\/code> \(float32\), v2 as its TF.js model\./,
    );
    // Nothing differs: no such section, and the judged line alone.
    const same = renderPullRequestBody(
      {
        ...approvedState(),
        judged_as_shipped: {
          candidate: model({ differing: 0 }),
          production: model({ version: "v2", file: "mango_model_v2.tflite", differing: 0 }),
        },
      },
      config,
      artifact,
    );
    expect(same).not.toContain("Shipped file vs TF.js");
    expect(same).toMatch(
      /each run in LiteRT with the preprocessing and labels its own metadata declares/,
    );
  });

  it("says when the evaluation set tags no image", () => {
    const none = computeSlices({
      truth,
      candidate,
      production: truth,
      tags: truth.map(() => ({})),
      labels: LABELS,
      policy,
    });
    const md = renderPullRequestBody({ ...approvedState(), slices: none }, config, artifact);
    expect(md).toMatch(/### Slices\n_The evaluation manifest tags none of its images/);
  });
});
