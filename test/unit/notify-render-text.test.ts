/**
 * What a person reads in text for a rejected candidate, rendered from the typed alert's
 * fields: the e-mail (subject, text, HTML), the GitHub issue and `alert.md`, pinned as
 * snapshots.
 */
import { describe, expect, it } from "vitest";
import {
  renderAlertFile,
  renderEmail,
  renderIssue,
  withLinks,
  workflowRunLink,
} from "../../lib/notify/index.ts";
import { rejected } from "../helpers/notify-alerts.ts";

describe("text renderers", () => {
  it("e-mail: subject with severity, text and HTML parts", () => {
    const email = renderEmail(rejected);
    expect(email.subject).toMatchInlineSnapshot(`"[mango-mlops ERROR] mango-ripeness v3 rejected"`);
    expect(email.text).toMatchInlineSnapshot(`
      "mango-ripeness v3 rejected

      the candidate trained on data-manifests/farm-b.json was judged against production v2 and rejected.

      Why:
      maduro F1 fell 6.0 points (allowed 0.0).

      Evidence:
      - Confusions that grew:
        - v3 confused maduro with sobremaduro 8.0 pts more often than v2
      - Analysis: .mlops/runs/run-42/analysis (analysis.json).
      - Metrics, production -> candidate:
        - accuracy 91.0% -> 88.5%
        - f1_maduro 90.0% -> 84.0%

      Next step:
      look at the data in data-manifests/farm-b.json and push a corrected manifest; production is unchanged.
      Recorded as refs/mlops/rejected/mango-ripeness/ab12: later runs skip these exact manifest bytes.

      Model: mango-ripeness v3
      Decision: REJECT
      Run: run-42

      Pull request #7: https://github.com/acme/mango/pull/7
      "
    `);
    expect(email.html).toMatchInlineSnapshot(`
      "<!doctype html>
      <html><body style="font-family: sans-serif">
      <h2>mango-ripeness v3 rejected</h2>
      <p>the candidate trained on data-manifests/farm-b.json was judged against production v2 and rejected.</p>
      <h3>Why</h3>
      <p>maduro F1 fell 6.0 points (allowed 0.0).</p>
      <h3>Evidence</h3>
      <ul>
      <li>Confusions that grew:
      <ul>
      <li>v3 confused maduro with sobremaduro 8.0 pts more often than v2</li>
      </ul>
      </li>
      <li>Analysis: .mlops/runs/run-42/analysis (analysis.json).</li>
      <li>Metrics, production -&gt; candidate:
      <ul>
      <li>accuracy 91.0% -&gt; 88.5%</li>
      <li>f1_maduro 90.0% -&gt; 84.0%</li>
      </ul>
      </li>
      </ul>
      <h3>Next step</h3>
      <p>look at the data in data-manifests/farm-b.json and push a corrected manifest; production is unchanged.<br>
      Recorded as refs/mlops/rejected/mango-ripeness/ab12: later runs skip these exact manifest bytes.</p>
      <table>
      <tr><th align="left">Model</th><td>mango-ripeness v3</td></tr>
      <tr><th align="left">Decision</th><td>REJECT</td></tr>
      <tr><th align="left">Run</th><td>run-42</td></tr>
      </table>
      <ul>
      <li><a href="https://github.com/acme/mango/pull/7">Pull request #7</a></li>
      </ul>
      </body></html>
      "
    `);
  });

  it("issue: title, body with the hidden marker of the dedupe key, labels", () => {
    expect(renderIssue(rejected, ["mlops-alert", "model"])).toMatchInlineSnapshot(`
      {
        "body": "<!-- mango-mlops-alert:reject:data-manifests/farm-b.json -->
      **ERROR**: the candidate trained on data\\-manifests\\/farm\\-b\\.json was judged against production v2 and rejected\\.

      ### Why

      maduro F1 fell 6\\.0 points \\(allowed 0\\.0\\)\\.

      ### Evidence

      - Confusions that grew\\:
        - v3 confused maduro with sobremaduro 8\\.0 pts more often than v2
      - Analysis\\: \\.mlops\\/runs\\/run\\-42\\/analysis \\(analysis\\.json\\)\\.
      - Metrics\\, production \\-\\> candidate\\:
        - accuracy 91\\.0\\% \\-\\> 88\\.5\\%
        - f1\\_maduro 90\\.0\\% \\-\\> 84\\.0\\%

      ### Next step

      look at the data in data\\-manifests\\/farm\\-b\\.json and push a corrected manifest\\; production is unchanged\\.
      Recorded as refs\\/mlops\\/rejected\\/mango\\-ripeness\\/ab12\\: later runs skip these exact manifest bytes\\.

      | | |
      | --- | --- |
      | Model | mango\\-ripeness v3 |
      | Decision | REJECT |
      | Run | run\\-42 |

      - [Pull request \\#​7](https://github.com/acme/mango/pull/7)
      ",
        "labels": [
          "mlops-alert",
          "model",
        ],
        "title": "mango-ripeness v3 rejected",
      }
    `);
  });

  it("issue: a long title is cut to GitHub's 256, a fact's | and newline stay in their cell", () => {
    const issue = renderIssue({
      ...rejected,
      title: "t".repeat(300),
      facts: [{ name: "Reason", value: "a | b\nc" }],
    });
    expect(issue.title).toHaveLength(256);
    expect(issue.body).toContain("| Reason | a \\| b c |");
    expect(issue.labels).toEqual(["mlops-alert"]);
  });

  it("alert.md: the title as heading over the issue's Markdown, text as written, without the marker", () => {
    const file = renderAlertFile(rejected);
    expect(file).toMatch(/^# mango-ripeness v3 rejected\n\n\*\*ERROR\*\*: the candidate/);
    expect(file).not.toContain("<!--");
    // The issue escapes what it quotes (it renders on GitHub); the file keeps it readable.
    expect(file).toContain("look at the data in data-manifests/farm-b.json and push");
    expect(renderIssue(rejected).body).toContain(
      "look at the data in data\\-manifests\\/farm\\-b\\.json",
    );
  });

  it("issue: text from a manifest cannot become a link, an image, HTML or a mention", () => {
    const hostile = {
      ...rejected,
      why: "key [click](https://evil.example) ![x](https://evil.example/x.png) <img src=x> @octocat #12",
    };
    const body = renderIssue(hostile).body;
    expect(body).toContain(
      "key \\[click\\]\\(https\\:\\/\\/evil\\.example\\) \\!\\[x\\]\\(https\\:\\/\\/evil\\.example\\/x\\.png\\) \\<img src\\=x\\> \\@\u200boctocat \\#\u200b12",
    );
  });

  it("links: the workflow run is added once, and only http(s) links reach the e-mail", () => {
    const run = workflowRunLink({
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_REPOSITORY: "acme/mango",
      GITHUB_RUN_ID: "99",
    })!;
    expect(workflowRunLink({ GITHUB_REPOSITORY: "acme/mango" })).toBeNull();
    const alert = withLinks(withLinks(rejected, [run]), [
      run,
      { label: "Analysis", url: ".mlops/runs/run-42/analysis" },
    ]);
    expect(alert.links.map((l) => l.label)).toEqual([
      "Pull request #7",
      "Workflow run",
      "Analysis",
    ]);
    expect(renderEmail(alert).text).not.toMatch(/^Analysis: /m);
    expect(rejected.links).toHaveLength(1);
  });
});
