/**
 * What a person sees in chat for a rejected candidate, rendered from the typed alert's
 * fields: the Slack Block Kit message and the Teams Adaptive Card, pinned as snapshots.
 */
import { describe, expect, it } from "vitest";
import { renderSlackMessage, renderTeamsCard } from "../../lib/notify/index.ts";
import { rejected } from "../helpers/notify-alerts.ts";

describe("chat renderers", () => {
  it("Slack: header, what happened, facts as fields, why, evidence, next step, buttons, context", () => {
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
                "text": "*Model*
      mango-ripeness v3",
                "type": "mrkdwn",
              },
              {
                "text": "*Decision*
      REJECT",
                "type": "mrkdwn",
              },
              {
                "text": "*Run*
      run-42",
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
      • Confusions that grew:
          ◦ v3 confused maduro with sobremaduro 8.0 pts more often than v2
      • Analysis: .mlops/runs/run-42/analysis (analysis.json).
      • Metrics, production -&gt; candidate:
          ◦ accuracy 91.0% -&gt; 88.5%
          ◦ f1_maduro 90.0% -&gt; 84.0%",
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
                  "text": "Pull request #7",
                  "type": "plain_text",
                },
                "type": "button",
                "url": "https://github.com/acme/mango/pull/7",
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

  it("Slack: an empty field has no block, and a line over the limit is cut and said so", () => {
    const long = "x".repeat(5000);
    const slack = renderSlackMessage({
      ...rejected,
      why: "",
      evidence: [],
      title: long,
      nextStep: long,
    });
    const texts = slack.blocks.map((b) => JSON.stringify(b));
    expect(texts.some((t) => t.includes("*Why*") || t.includes("*Evidence*"))).toBe(false);
    const header = slack.blocks[0] as { text: { text: string } };
    expect(header.text.text).toHaveLength(150);
    const next = slack.blocks.find((b) => JSON.stringify(b).includes("*Next step*")) as {
      text: { text: string };
    };
    // One 5000-character line: cut within Slack's 3000, at the limit give or take the ellipsis.
    expect(next.text.text.length).toBeLessThanOrEqual(3000);
    expect(next.text.text.length).toBeGreaterThan(2900);
    expect(next.text.text).toMatch(/x…$/);
    expect(JSON.stringify(slack.blocks)).toMatch(/1 line was left out or shortened/);
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
                  "title": "Pull request #7",
                  "type": "Action.OpenUrl",
                  "url": "https://github.com/acme/mango/pull/7",
                },
              ],
              "body": [
                {
                  "color": "Attention",
                  "size": "Large",
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
                      "title": "Model",
                      "value": "mango-ripeness v3",
                    },
                    {
                      "title": "Decision",
                      "value": "REJECT",
                    },
                    {
                      "title": "Run",
                      "value": "run-42",
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
                  "text": "• Confusions that grew:",
                  "type": "TextBlock",
                  "wrap": true,
                },
                {
                  "spacing": "None",
                  "text": "  ◦ v3 confused maduro with sobremaduro 8.0 pts more often than v2",
                  "type": "TextBlock",
                  "wrap": true,
                },
                {
                  "spacing": "None",
                  "text": "• Analysis: .mlops/runs/run-42/analysis (analysis.json).",
                  "type": "TextBlock",
                  "wrap": true,
                },
                {
                  "spacing": "None",
                  "text": "• Metrics, production -> candidate:",
                  "type": "TextBlock",
                  "wrap": true,
                },
                {
                  "spacing": "None",
                  "text": "  ◦ accuracy 91.0% -> 88.5%",
                  "type": "TextBlock",
                  "wrap": true,
                },
                {
                  "spacing": "None",
                  "text": "  ◦ f1_maduro 90.0% -> 84.0%",
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
});
