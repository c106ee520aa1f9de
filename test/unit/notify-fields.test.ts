/**
 * Each field of the typed alert stays in its own place on every channel: text that looks
 * like a label ("Next step: ...") inside a reason is part of the reason, not a section.
 * Markup from an alert is escaped where the channel would interpret it.
 */
import { describe, expect, it } from "vitest";
import {
  type Alert,
  renderAlertFile,
  renderEmail,
  renderIssue,
  renderSlackMessage,
  renderTeamsCard,
} from "../../lib/notify/index.ts";
import { lookalike, REAL_NEXT_STEP, rejected } from "../helpers/notify-alerts.ts";
import { escapeMarkdown } from "../../lib/markdown.ts";

const count = (text: string, part: string) => text.split(part).length - 1;

describe("a field with text that looks like a label", () => {
  const { why, whatHappened } = lookalike;
  const evidenceLine = lookalike.evidence[0] as string;

  it("Slack: one section per field, the lookalike lines inside the Why section", () => {
    const sections = renderSlackMessage(lookalike).blocks.flatMap((b) =>
      b.type === "section" && b.text ? [b.text.text] : [],
    );
    expect(sections).toEqual([
      whatHappened,
      `*Why*\n${why}`,
      `*Evidence*\n• ${evidenceLine}`,
      `*Next step*\n${REAL_NEXT_STEP}`,
    ]);
  });

  it("Teams: three headings, the lookalike lines under Why", () => {
    const body = renderTeamsCard(lookalike).attachments[0]!.content.body as Array<{
      text: string;
      weight?: string;
      size?: string;
    }>;
    // The title is the one Large block; the headings are bold at the default size.
    expect(body.filter((b) => b.weight === "Bolder" && !b.size).map((b) => b.text)).toEqual([
      "Why",
      "Evidence",
      "Next step",
    ]);
    expect(body.filter((b) => b.text !== undefined).map((b) => b.text)).toEqual([
      lookalike.title,
      whatHappened,
      "Why",
      ...why.split("\n"),
      "Evidence",
      `• ${evidenceLine}`,
      "Next step",
      REAL_NEXT_STEP,
    ]);
  });

  it("e-mail: the text and HTML parts keep the reason whole and one Next step", () => {
    const email = renderEmail(lookalike);
    expect(email.text).toContain(
      `\n\n${whatHappened}\n\nWhy:\n${why}\n\nEvidence:\n- ${evidenceLine}\n\nNext step:\n${REAL_NEXT_STEP}\n\n`,
    );
    expect(count(email.html, "<h3>")).toBe(3);
    expect(email.html).toContain(
      `<h3>Why</h3>\n<p>${why.split("\n").join("<br>\n")}</p>\n<h3>Evidence</h3>\n<ul>\n<li>${evidenceLine}</li>\n</ul>\n<h3>Next step</h3>\n<p>${REAL_NEXT_STEP}</p>`,
    );
  });

  it("issue and alert.md: one heading per field, the reason whole under Why", () => {
    const sections = `**WARNING**: ${whatHappened}\n\n### Why\n\n${why}\n\n### Evidence\n\n- ${evidenceLine}\n\n### Next step\n\n${REAL_NEXT_STEP}\n`;
    const issue = renderIssue(lookalike).body;
    const file = renderAlertFile(lookalike);
    for (const markdown of [issue, file]) expect(count(markdown, "### ")).toBe(3);
    expect(file).toContain(sections);
    // The issue renders on GitHub, so it holds the same fields escaped.
    const inert = (s: string) => s.split("\n").map(escapeMarkdown).join("\n");
    expect(issue).toContain(`### Why\n\n${inert(why)}\n\n### Evidence`);
    expect(issue).toContain(`### Next step\n\n${inert(REAL_NEXT_STEP)}\n`);
  });
});

describe("markup in an alert", () => {
  const hostile: Alert = {
    ...rejected,
    title: `<script>alert("x")</script> v3\nBcc: victim@example.org`,
    whatHappened: "a & b <img src=x onerror=1>",
    evidence: [{ label: "<b>files</b>", items: ["<i>a.jpg</i> & b.jpg"] }],
    links: [
      { label: "bad", url: "javascript:alert(1)" },
      { label: "<b>ok</b>", url: 'https://example.org/?a=1&b="2"' },
    ],
  };

  it("is escaped in the e-mail, and the subject stays one line", () => {
    const email = renderEmail(hostile);
    expect(email.html).not.toMatch(/<script|<img|javascript:|<b>|<i>/);
    expect(email.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(email.html).toContain("<li>&lt;b&gt;files&lt;/b&gt;:");
    expect(email.html).toContain("<li>&lt;i&gt;a.jpg&lt;/i&gt; &amp; b.jpg</li>");
    expect(email.html).toContain(
      `<a href="https://example.org/?a=1&amp;b=&quot;2&quot;">&lt;b&gt;ok&lt;/b&gt;</a>`,
    );
    expect(email.subject).not.toMatch(/\n/);
  });

  it("is escaped for Slack's mrkdwn, and no channel links a javascript: URL", () => {
    const slack = JSON.stringify(renderSlackMessage(hostile).blocks.slice(1));
    expect(slack).toContain("a &amp; b &lt;img src=x onerror=1&gt;");
    expect(slack).toContain(
      "• &lt;b&gt;files&lt;/b&gt;:\\n    ◦ &lt;i&gt;a.jpg&lt;/i&gt; &amp; b.jpg",
    );
    expect(slack).not.toContain("javascript:");
    expect(JSON.stringify(renderTeamsCard(hostile))).not.toContain("javascript:");
  });

  it("cannot become a link in a Teams card, and keys stay exact to copy", () => {
    const card = renderTeamsCard({
      ...rejected,
      why: "see [the fix](https://evil.example) for data-manifests/farm_b.json",
      facts: [{ name: "Key", value: "[x](https://evil.example)" }],
    });
    const json = JSON.stringify(card);
    expect(json).not.toContain("](https://evil.example)");
    expect(json).toContain(
      "see [the fix]\u200b(https://evil.example) for data-manifests/farm_b.json",
    );
  });
});
