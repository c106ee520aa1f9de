/**
 * The promotion pull request's body, rendered from a fixed, hand-built state (no
 * training): compared whole with a snapshot, checked section by section, and its tables
 * held to one cell count per row, pipes in labels and reasons included; its plots are PNG
 * images by URL of the commit's file on GitHub, by repository path on a local branch.
 * Its Slices and "Shipped file vs TF.js" sections: slices-pr-body.test.ts.
 */
import { marked, type Tokens } from "marked";
import { describe, expect, it } from "vitest";
import { cell } from "../../lib/markdown.ts";
import {
  gitHubLinks,
  localLinks,
  type ProposalLinks,
  serverUrlOfApi,
} from "../../lib/github/target.ts";
import { registryPaths } from "../../lib/registry.ts";
import { type ProposalPlots, renderModelCard, renderPullRequestBody } from "../../graph/render.ts";
import {
  approvedState,
  artifact,
  config,
  headings,
  metrics,
  tables,
} from "../helpers/fixed-state.ts";

describe("the promotion pull request's body", () => {
  const body = renderPullRequestBody(approvedState(), config, artifact);

  it("has each section exactly once", () => {
    const expected = [
      "## mango-ripeness v3: APPROVE",
      "### Confusions that grew",
      "### Evaluation (frozen evaluation set, 60 images `data-manifests/eval/evaluation.json`, sha256 `eeeeeeeeeeee…`)",
      "### Statistics",
      "### Policy checks (analyst: rules)",
      "### Data",
      "### TFLite (proven in LiteRT on the evaluation set)",
      "## Artifact",
    ];
    expect(headings(body)).toEqual(expected);
    for (const h of expected) expect(body.split("\n").filter((l) => l === h)).toHaveLength(1);
    // One TFLite table: its header row appears once.
    expect(body.match(/^\| variant \| size \|/gm)).toHaveLength(1);
    expect(body).not.toMatch(/Needs a human review/);
  });

  it("keeps every table's rows as wide as its header, pipes in reasons included", () => {
    const found = tables(body);
    expect(found.map((t) => t.header.split(" |")[0])).toEqual([
      "| metric",
      "| metric",
      "| class",
      "| true \\ predicted",
      "| variant",
    ]);
    for (const t of found) expect(new Set(t.widths), t.header).toEqual(new Set([t.widths[0]]));
    expect(body).toContain("❌ int8: max \\|logit difference\\| vs TF.js is 4.60e-1");
  });

  it("asks for a review, as a draft, when the decision is HUMAN_REVIEW", () => {
    const draft = renderPullRequestBody(
      { ...approvedState(), deployment_decision: "HUMAN_REVIEW" },
      config,
      artifact,
    );
    expect(draft.startsWith("> **Needs a human review** before it ships")).toBe(true);
    expect(headings(draft)[0]).toBe("## mango-ripeness v3: HUMAN_REVIEW");
  });

  it("escapes a class name holding a pipe in the per-class and confusion tables", () => {
    const labels = ["verde", "late|maduro", "hoja"];
    const m = metrics(
      [
        [9, 1, 0],
        [1, 8, 1],
        [0, 0, 10],
      ],
      labels,
    );
    const md = renderPullRequestBody(
      { ...approvedState(), candidate_metrics: m },
      config,
      artifact,
    );
    for (const t of tables(md)) expect(new Set(t.widths), t.header).toEqual(new Set([t.widths[0]]));
    expect(md).toContain("| late\\|maduro | 88.9% | 80.0% | 84.2% | 10 |");
    expect(md).toContain("| **late\\|maduro** | 1 | 8 | 1 |");
  });

  it("matches its snapshot", () => {
    expect(body).toMatchInlineSnapshot(`
      "## mango-ripeness v3: APPROVE

      ### Confusions that grew
      - v3 confused hoja with maduro 5.0 pts more often than v2 (10.0% vs 5.0% of hoja photos: 2 vs 1 of 20)

      **Why:** v3 vs production v2\\: improves accuracy \\+8\\.3 pts \\[95\\% CI \\+1\\.7\\, \\+15\\.0 pts\\]\\; every policy check passes\\.

      **Decided by:** the rule-based analyst. No LLM analyst is configured (\`analyst.base_url\`).

      Merging this pull request moves \`models/mango-ripeness/production.json\` to v3; the promote workflow then publishes the verified artifact. Reverting the merge rolls production back.

      ### Evaluation (frozen evaluation set, 60 images \`data-manifests/eval/evaluation.json\`, sha256 \`eeeeeeeeeeee…\`)
      | metric | production v2 | candidate v3 | change (pts) |
      | --- | ---: | ---: | ---: |
      | accuracy | 83.3% | 91.7% | +8.3 |
      | f1.maduro | 75.7% | 90.0% | +14.3 |

      ### Statistics
      | metric | production | candidate | change (pts) | 95% interval (pts) | reading |
      | --- | ---: | ---: | ---: | ---: | --- |
      | accuracy | 83.3% | 91.7% | +8.3 | +1.7 to +15.0 | clear win |

      Paired on 60 images; percentile bootstrap, 2000 resamples, seed 20260101. McNemar's exact test on accuracy: 1 images only production gets right, 6 only the candidate, p = 0.125.
      A clear win lies entirely above +0.5 pts; a clear loss entirely below the allowed drop; an interval that straddles a threshold is not clear.

      Candidate: accuracy **91.7%**, macro-F1 **91.7%**, maduro F1 **90.0%**.

      | class | precision | recall | F1 | support |
      | --- | ---: | ---: | ---: | ---: |
      | verde | 94.7% | 90.0% | 92.3% | 20 |
      | maduro | 90.0% | 90.0% | 90.0% | 20 |
      | hoja | 90.5% | 95.0% | 92.7% | 20 |

      <details><summary>Confusion matrix</summary>

      | true \\ predicted | verde | maduro | hoja |
      | --- | ---: | ---: | ---: |
      | **verde** | 18 | 1 | 1 |
      | **maduro** | 1 | 18 | 1 |
      | **hoja** | 0 | 1 | 19 |

      </details>

      ### Policy checks (analyst: rules)
      - ✅ \`min_accuracy\`: accuracy 91.7% vs minimum 50.0%
      - ✅ \`statistics.clear_win\`: clear win: accuracy +8.3 pts [95% CI +1.7, +15.0 pts]
      - ⏭️ \`tflite\`: skipped: nothing to check

      ### Data
      Quality score of the new batch: **9.5 / 10** (gate 7); 1 refused image(s) left out of training.
      Trained on 480 images (val 120), best epoch 7 of 8, 42 s on CPU, oneDNN, 1 thread:
      - \`data-manifests/farm-a.json\` (farm\\-a, 300 images, sha256 \`dddddddddddd…\`)
      - \`data-manifests/farm-b.json\` (farm\\-b, 301 images, sha256 \`bbbbbbbbbbbb…\`)

      ### TFLite (proven in LiteRT on the evaluation set)
      | variant | size | max \\|logit diff\\| vs TF.js | top-class agreement | accuracy | LiteRT latency (batch 1) | gate |
      | --- | ---: | ---: | ---: | ---: | ---: | --- |
      | float32 (shipped) | 1.60 MB | 1.5e-5 | 100.0% | 91.7% | 0.8 ms | ✅ passed |
      | int8 | 0.56 MB | 4.6e-1 | 98.3% | 90.0% | 1.1 ms | ❌ int8: max \\|logit difference\\| vs TF.js is 4.60e-1, above the gate 1.00e-1 |

      The app reads labels and preprocessing from the file alone: its TFLite Support metadata (\`TFLITE_METADATA\`, with \`labels.txt\` packed in the file), as Android's Task Library and ML Kit read it (see worker/tflite/README.md).

      ## Artifact
      - \`mango_model_v3.tflite\` 1601232 bytes, sha256 \`aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\` at \`file:///artifacts/mango-ripeness/aaaa/mango_model_v3.tflite\`

      <sub>Run \`20261201T120000-abc123\` of mango-mlops.</sub>
      "
    `);
  });
});

describe("the PR body as a GFM parser reads it", () => {
  it("has each heading once and every table row with its header's columns", () => {
    const body = renderPullRequestBody(
      {
        ...approvedState(),
        decision_reason: "a [link](https://evil.example) and @octocat in a reason",
      },
      config,
      artifact,
    );
    const tokens = marked.lexer(body);
    const heads = tokens.filter((t) => t.type === "heading").map((t) => (t as Tokens.Heading).text);
    expect(new Set(heads).size, heads.join(" | ")).toBe(heads.length);
    const tablesFound = tokens.filter((t): t is Tokens.Table => t.type === "table");
    expect(tablesFound.length).toBeGreaterThan(2);
    for (const t of tablesFound)
      for (const row of t.rows)
        expect(row.length, t.header.map((h) => h.text).join("|")).toBe(t.header.length);
    // Text from outside renders as text: no link, no mention.
    const html = marked.parse(body, { async: false });
    expect(html).not.toContain('href="https://evil.example"');
  });
});

describe("cell", () => {
  it("escapes pipes and flattens line breaks, so a value stays one cell", () => {
    expect(cell("a|b")).toBe("a\\|b");
    expect(cell(" first line\n  second | third \r\n")).toBe("first line second \\| third");
    expect(cell(42)).toBe("42");
  });
});

describe("the plots in the PR body and the model card", () => {
  const commit = "c0ffee".padEnd(40, "0");
  const v3 = registryPaths(config.paths.registry, config.model_name).version("v3").plots;
  /** The plots as deploy_to_production links them: each committed file through `links`. */
  const plotsVia = (links: ProposalLinks, withSheet = true): ProposalPlots => ({
    curves: links.file(v3.curves),
    confusion: links.file(v3.confusion),
    ...(withSheet ? { contactSheet: links.file(v3.contactSheet) } : {}),
  });
  const images = (md: string) =>
    marked
      .lexer(md)
      .flatMap((t) => (t.type === "paragraph" ? (t as Tokens.Paragraph).tokens : []))
      .filter((t): t is Tokens.Image => t.type === "image")
      .map((t) => t.href);

  it("shows each plot on GitHub as the PNG file at the proposal's commit, in one Plots section", () => {
    const links = gitHubLinks("https://github.example", { owner: "farm", repo: "mlops" }, commit);
    const body = renderPullRequestBody(approvedState(), config, artifact, plotsVia(links));
    expect(images(body)).toEqual(
      ["training-curves", "confusion-matrix", "contact-sheet"].map(
        (name) =>
          `https://github.example/farm/mlops/blob/${commit}/models/mango-ripeness/v3/${name}.png?raw=true`,
      ),
    );
    const heads = headings(body);
    expect(heads.filter((h) => h === "### Plots")).toHaveLength(1);
    expect(new Set(heads).size).toBe(heads.length);
    expect(heads.indexOf("### Plots")).toBe(
      heads.indexOf("### Policy checks (analyst: rules)") - 1,
    );
    // The tables keep their cells with the images in between.
    for (const t of tables(body))
      expect(new Set(t.widths), t.header).toEqual(new Set([t.widths[0]]));
    expect(body).not.toMatch(/data:|<svg/);
  });

  it("shows them by repository path on a local branch, and says when no contact sheet was drawn", () => {
    const body = renderPullRequestBody(
      approvedState(),
      config,
      artifact,
      plotsVia(localLinks, false),
    );
    expect(images(body)).toEqual([
      "models/mango-ripeness/v3/training-curves.png",
      "models/mango-ripeness/v3/confusion-matrix.png",
    ]);
    expect(body).toContain("_No contact sheet: the data gate could not draw one for this batch");
  });

  it("has no Plots section when nothing was drawn, and a path with spaces stays one link", () => {
    expect(renderPullRequestBody(approvedState(), config, artifact, {})).not.toContain("Plots");
    const spaced = renderPullRequestBody(approvedState(), config, artifact, {
      curves: "my models/v3/training-curves.png",
    });
    expect(images(spaced)).toEqual(["my models/v3/training-curves.png"]);
  });

  it("lets the model card show the PNG files of its own folder by name", () => {
    const card = renderModelCard(approvedState(), config, artifact, {
      curves: "training-curves.png",
      confusion: "confusion-matrix.png",
    });
    expect(headings(card)).toContain("## Plots");
    expect(images(card)).toEqual(["training-curves.png", "confusion-matrix.png"]);
  });

  it("escapes the owner and repository and keeps the path's slashes in GitHub's URL", () => {
    const links = gitHubLinks("https://ghe.example/", { owner: "o o", repo: "r#" }, commit);
    expect(links.hosted).toBe(true);
    expect(links.file("models/a b/x.png")).toBe(
      `https://ghe.example/o%20o/r%23/blob/${commit}/models/a%20b/x.png?raw=true`,
    );
    expect(localLinks.file("models/x.png")).toBe("models/x.png");
  });

  it("finds GitHub's web root from its API root when GITHUB_SERVER_URL is not given", () => {
    expect(serverUrlOfApi("https://api.github.com")).toBe("https://github.com");
    expect(serverUrlOfApi("https://api.tenant.ghe.com/")).toBe("https://tenant.ghe.com");
    expect(serverUrlOfApi("https://ghe.example/api/v3")).toBe("https://ghe.example");
    expect(serverUrlOfApi("http://127.0.0.1:5000/api/v3/")).toBe("http://127.0.0.1:5000");
  });
});
