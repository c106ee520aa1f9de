/**
 * What a person sees on each channel for a rejected candidate: the Slack blocks, the Teams
 * card, the e-mail and the issue, pinned as inline snapshots; markup in an alert is
 * escaped; the `notify` config keeps secrets out of the file.
 */
import { describe, expect, it } from "vitest";
import { composeAlert } from "../../graph/nodes/alert-human.ts";
import type { MLOpsStateType } from "../../graph/state.ts";
import {
  type AlertContent,
  fromAlertMessage,
  NotifySettingsSchema,
  renderEmail,
  renderIssue,
  renderSlackMessage,
  renderTeamsCard,
} from "../../lib/notify/index.ts";

const rejected = fromAlertMessage(
  {
    runId: "run-42",
    severity: "error",
    title: "mango-ripeness v3 rejected",
    body: [
      "What happened: the candidate trained on data-manifests/farm-b.json was judged against production v2 and rejected.",
      "Why: maduro F1 fell 6.0 points (allowed 0.0).",
      "Evidence: accuracy 91.0% -> 88.5%; f1_maduro 90.0% -> 84.0%.",
      "Next step: look at the data in data-manifests/farm-b.json and push a corrected manifest; production is unchanged.",
      "Recorded as refs/mlops/rejected/mango-ripeness/ab12: later runs skip these exact manifest bytes.",
    ].join("\n"),
  },
  [{ label: "Workflow run", url: "https://github.com/acme/mango/actions/runs/42" }],
);

describe("fromAlertMessage", () => {
  it("turns composeAlert's labelled lines into a summary and sections", () => {
    const state = {
      run_id: "run-42",
      deployment_decision: "REJECT",
      model_version: "v3",
      new_data_path: "data-manifests/farm-b.json",
      production_version: "v2",
      decision_reason: "maduro F1 fell 6.0 points",
      metric_deltas: [{ metric: "accuracy", production: 0.91, candidate: 0.885, delta: -0.025 }],
      confusion_changes: [],
      analyst_trace: null,
    } as unknown as MLOpsStateType;
    const content = fromAlertMessage(composeAlert(state, 7, "mango-ripeness"));
    expect(content.title).toBe("mango-ripeness v3 rejected");
    expect(content.summary).toMatch(/^the candidate trained on data-manifests\/farm-b.json/);
    expect(content.sections.map((s) => s.heading)).toEqual(["Why", "Evidence", "Next step"]);
    expect(content.sections[1]!.text).toBe("accuracy 91.0% -> 88.5%.");
  });

  it("keeps a multi-line labelled block together and a colon inside a list item in its line", () => {
    const content = fromAlertMessage({
      runId: "r",
      severity: "error",
      title: "t",
      body: "Confusions that grew:\n- maduro taken for pinton 3 -> 9 times\nWhat happened: the gate failed.\n- a.jpg (maduro): blur: too blurry. Fix: retake.\nNext step: fix it.",
    });
    expect(content.summary).toBe(
      "the gate failed.\n- a.jpg (maduro): blur: too blurry. Fix: retake.",
    );
    expect(content.sections).toEqual([
      { heading: "Confusions that grew", text: "- maduro taken for pinton 3 -> 9 times" },
      { heading: "Next step", text: "fix it." },
    ]);
  });

  it("keeps unlabelled lines with the block above and finds URLs as links", () => {
    expect(rejected.sections[2]!.text).toMatch(
      /corrected manifest; production is unchanged.\nRecorded as refs/,
    );
    const withPr = fromAlertMessage({
      runId: "r",
      severity: "warning",
      title: "t",
      body: "Evidence: see https://github.com/acme/mango/pull/7.",
    });
    expect(withPr.links).toEqual([
      { label: "Pull request", url: "https://github.com/acme/mango/pull/7" },
    ]);
  });
});

describe("renderers", () => {
  it("Slack: header, summary, facts as fields, sections, buttons, context", () => {
    expect(renderSlackMessage(rejected)).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "emoji": true,
              "text": ":red_circle: mango-ripeness v3 rejected",
              "type": "plain_text",
            },
            "type": "header",
          },
          {
            "text": {
              "text": "the candidate trained on data-manifests/farm-b.json was judged against production v2 and rejected.",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "fields": [
              {
                "text": "*Run*
      run-42",
                "type": "mrkdwn",
              },
              {
                "text": "*Severity*
      error",
                "type": "mrkdwn",
              },
            ],
            "type": "section",
          },
          {
            "text": {
              "text": "*Why*
      maduro F1 fell 6.0 points (allowed 0.0).",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "text": {
              "text": "*Evidence*
      accuracy 91.0% -&gt; 88.5%; f1_maduro 90.0% -&gt; 84.0%.",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "text": {
              "text": "*Next step*
      look at the data in data-manifests/farm-b.json and push a corrected manifest; production is unchanged.
      Recorded as refs/mlops/rejected/mango-ripeness/ab12: later runs skip these exact manifest bytes.",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "action_id": "link_0",
                "text": {
                  "emoji": true,
                  "text": "Workflow run",
                  "type": "plain_text",
                },
                "type": "button",
                "url": "https://github.com/acme/mango/actions/runs/42",
              },
            ],
            "type": "actions",
          },
          {
            "elements": [
              {
                "text": "mango-mlops · run \`run-42\` · error",
                "type": "mrkdwn",
              },
            ],
            "type": "context",
          },
        ],
        "text": "mango-ripeness v3 rejected: the candidate trained on data-manifests/farm-b.json was judged against production v2 and rejected.",
      }
    `);
  });

  it("Teams: an Adaptive Card 1.4 in the message envelope", () => {
    expect(renderTeamsCard(rejected)).toMatchInlineSnapshot(`
      {
        "attachments": [
          {
            "content": {
              "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
              "actions": [
                {
                  "title": "Workflow run",
                  "type": "Action.OpenUrl",
                  "url": "https://github.com/acme/mango/actions/runs/42",
                },
              ],
              "body": [
                {
                  "color": "Attention",
                  "size": "Large",
                  "style": "heading",
                  "text": "mango-ripeness v3 rejected",
                  "type": "TextBlock",
                  "weight": "Bolder",
                  "wrap": true,
                },
                {
                  "spacing": "Small",
                  "text": "the candidate trained on data-manifests/farm-b.json was judged against production v2 and rejected.",
                  "type": "TextBlock",
                  "wrap": true,
                },
                {
                  "facts": [
                    {
                      "title": "Run",
                      "value": "run-42",
                    },
                    {
                      "title": "Severity",
                      "value": "error",
                    },
                  ],
                  "type": "FactSet",
                },
                {
                  "spacing": "Medium",
                  "text": "Why",
                  "type": "TextBlock",
                  "weight": "Bolder",
                  "wrap": true,
                },
                {
                  "spacing": "Small",
                  "text": "maduro F1 fell 6.0 points (allowed 0.0).",
                  "type": "TextBlock",
                  "wrap": true,
                },
                {
                  "spacing": "Medium",
                  "text": "Evidence",
                  "type": "TextBlock",
                  "weight": "Bolder",
                  "wrap": true,
                },
                {
                  "spacing": "Small",
                  "text": "accuracy 91.0% -> 88.5%; f1_maduro 90.0% -> 84.0%.",
                  "type": "TextBlock",
                  "wrap": true,
                },
                {
                  "spacing": "Medium",
                  "text": "Next step",
                  "type": "TextBlock",
                  "weight": "Bolder",
                  "wrap": true,
                },
                {
                  "spacing": "Small",
                  "text": "look at the data in data-manifests/farm-b.json and push a corrected manifest; production is unchanged.",
                  "type": "TextBlock",
                  "wrap": true,
                },
                {
                  "spacing": "None",
                  "text": "Recorded as refs/mlops/rejected/mango-ripeness/ab12: later runs skip these exact manifest bytes.",
                  "type": "TextBlock",
                  "wrap": true,
                },
              ],
              "msteams": {
                "width": "Full",
              },
              "type": "AdaptiveCard",
              "version": "1.4",
            },
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
          },
        ],
        "type": "message",
      }
    `);
  });

  it("e-mail: subject with severity, text and HTML parts", () => {
    const email = renderEmail(rejected);
    expect(email.subject).toMatchInlineSnapshot(`"[mango-mlops ERROR] mango-ripeness v3 rejected"`);
    expect(email.text).toMatchInlineSnapshot(`
      "mango-ripeness v3 rejected

      the candidate trained on data-manifests/farm-b.json was judged against production v2 and rejected.

      Why:
      maduro F1 fell 6.0 points (allowed 0.0).

      Evidence:
      accuracy 91.0% -> 88.5%; f1_maduro 90.0% -> 84.0%.

      Next step:
      look at the data in data-manifests/farm-b.json and push a corrected manifest; production is unchanged.
      Recorded as refs/mlops/rejected/mango-ripeness/ab12: later runs skip these exact manifest bytes.

      Run: run-42
      Severity: error

      Workflow run: https://github.com/acme/mango/actions/runs/42
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
      <p>accuracy 91.0% -&gt; 88.5%; f1_maduro 90.0% -&gt; 84.0%.</p>
      <h3>Next step</h3>
      <p>look at the data in data-manifests/farm-b.json and push a corrected manifest; production is unchanged.<br>
      Recorded as refs/mlops/rejected/mango-ripeness/ab12: later runs skip these exact manifest bytes.</p>
      <table>
      <tr><th align="left">Run</th><td>run-42</td></tr>
      <tr><th align="left">Severity</th><td>error</td></tr>
      </table>
      <ul>
      <li><a href="https://github.com/acme/mango/actions/runs/42">Workflow run</a></li>
      </ul>
      </body></html>
      "
    `);
  });

  it("issue: title, body with the hidden marker, labels", () => {
    expect(renderIssue(rejected, ["mlops-alert", "model"])).toMatchInlineSnapshot(`
      {
        "body": "<!-- mango-mlops-alert:mango-ripeness-v3-rejected -->
      **ERROR**: the candidate trained on data-manifests/farm-b.json was judged against production v2 and rejected.

      ### Why

      maduro F1 fell 6.0 points (allowed 0.0).

      ### Evidence

      accuracy 91.0% -> 88.5%; f1_maduro 90.0% -> 84.0%.

      ### Next step

      look at the data in data-manifests/farm-b.json and push a corrected manifest; production is unchanged.
      Recorded as refs/mlops/rejected/mango-ripeness/ab12: later runs skip these exact manifest bytes.

      | | |
      | --- | --- |
      | Run | run-42 |
      | Severity | error |

      - [Workflow run](https://github.com/acme/mango/actions/runs/42)
      ",
        "labels": [
          "mlops-alert",
          "model",
        ],
        "title": "mango-ripeness v3 rejected",
      }
    `);
  });

  it("escapes markup from the alert on every channel", () => {
    const hostile: AlertContent = {
      ...rejected,
      title: `<script>alert("x")</script> v3\nBcc: victim@example.org`,
      summary: "a & b <img src=x onerror=1>",
      links: [
        { label: "bad", url: "javascript:alert(1)" },
        { label: "<b>ok</b>", url: 'https://example.org/?a=1&b="2"' },
      ],
    };
    const email = renderEmail(hostile);
    expect(email.html).not.toMatch(/<script|<img|javascript:|<b>/);
    expect(email.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(email.html).toContain(
      `<a href="https://example.org/?a=1&amp;b=&quot;2&quot;">&lt;b&gt;ok&lt;/b&gt;</a>`,
    );
    expect(email.subject).not.toMatch(/\n/);
    const slack = JSON.stringify(renderSlackMessage(hostile).blocks.slice(1));
    expect(slack).toContain("a &amp; b &lt;img src=x onerror=1&gt;");
    expect(slack).not.toContain("javascript:");
    expect(JSON.stringify(renderTeamsCard(hostile))).not.toContain("javascript:");
  });
});

describe("notify config", () => {
  it("turns on a channel by its section, with the default secret variable", () => {
    const settings = NotifySettingsSchema.parse({ slack: {}, github_issue: {} });
    expect(settings).toEqual({
      slack: { webhook_url_env: "MLOPS_SLACK_WEBHOOK_URL" },
      github_issue: { enabled: true, labels: ["mlops-alert"] },
      retries: 3,
      timeout_ms: 10_000,
    });
    expect(NotifySettingsSchema.parse(undefined)).toEqual({ retries: 3, timeout_ms: 10_000 });
  });

  it("refuses a secret in the file and says where it belongs", () => {
    const result = NotifySettingsSchema.safeParse({
      slack: { webhook_url: "https://hooks.slack.com/services/T/B/x" },
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toMatch(
      /environment variable MLOPS_SLACK_WEBHOOK_URL/,
    );
    const email = NotifySettingsSchema.safeParse({
      email: { smtp_host: "mail", from: "a@b.org", to: ["c@d.org"], password: "hunter2" },
    });
    expect(email.error!.issues[0]!.path).toEqual(["email", "password"]);
  });

  it("needs at least one recipient and real addresses", () => {
    const bad = NotifySettingsSchema.safeParse({
      email: { smtp_host: "mail", from: "nobody", to: [] },
    });
    expect(bad.error!.issues.map((i) => i.path.join("."))).toEqual(["email.from", "email.to"]);
    expect(
      NotifySettingsSchema.parse({
        email: { smtp_host: "mail", from: "MLOps <ml@acme.org>", to: ["a@acme.org"] },
      }).email!.smtp_port,
    ).toBe(587);
  });
});
