/**
 * Every channel within its service's limits: the largest alert, many times over each
 * limit, renders a Slack message within Block Kit's rules, a Teams card under 28 KB that
 * the Adaptive Cards parser takes, an issue and a comment body under GitHub's 65,536
 * characters, each with the line saying what was left out and where the full report is;
 * cuts fall between lines and items, never inside an escape, a surrogate pair or a
 * Markdown construct. The smallest alert is not cut at all.
 */
import { marked, type Token, type Tokens } from "marked";
import { describe, expect, it } from "vitest";
import {
  dedupeKeyOf,
  EMAIL_PART_MAX,
  issueCommentBody,
  issueMarker,
  renderEmail,
  renderIssue,
  renderSlackMessage,
  renderTeamsCard,
  teamsPayloadBytes,
  type FullReport,
} from "../../lib/notify/index.ts";
import {
  adaptiveCardErrors,
  LONE_SURROGATE,
  slackViolations,
  stringsOf,
} from "../helpers/notify-contracts.ts";
import { largestAlert, rejected, RUN_LINK } from "../helpers/notify-alerts.ts";

const report: FullReport = {
  place: "alert.md in the run folder of run-99, kept with the workflow run",
  url: RUN_LINK.url,
};
const LEFT_OUT =
  /\d+ lines were left out or shortened \(\d+ KB of text\) to fit the size limits of (Slack|Teams|GitHub|e-mail); the full report is alert\.md in the run folder of run-99/;
const largest = largestAlert();
const sizeOfLargest = JSON.stringify(largest).length;

describe("the largest alert", () => {
  it("is far over every limit before cutting", () => {
    expect(sizeOfLargest).toBeGreaterThan(150_000);
  });

  it("Slack: within Block Kit's limits, with the left-out line and the run's link", () => {
    const slack = renderSlackMessage(largest, { report });
    expect(slackViolations(slack)).toEqual([]);
    const texts = slack.blocks.flatMap((b) =>
      b.type === "section" && b.text ? [b.text.text] : [],
    );
    const note = texts.find((t) => LEFT_OUT.test(t));
    expect(note).toMatch(/Slack/);
    expect(note).toContain(`<${RUN_LINK.url}|workflow run>`);
    // Twelve facts: nine, then one that says where the rest are.
    const fields = slack.blocks.find((b) => b.type === "section" && b.fields);
    expect(fields && "fields" in fields && fields.fields!.at(-1)!.text).toMatch(/3 more facts/);
    // The cut sections still start with their heading and keep whole lines up to the cut.
    const why = texts.find((t) => t.startsWith("*Why*\n"))!;
    expect(why.split("\n")[1]).toMatch(/^- data\/farm-b\/img-000\.jpg/);
  });

  it("Teams: the POSTed JSON under 27,000 bytes, a card the Adaptive Cards parser takes", () => {
    const teams = renderTeamsCard(largest, { report });
    expect(teamsPayloadBytes(teams)).toBeLessThanOrEqual(27_000);
    expect(Buffer.byteLength(JSON.stringify(teams))).toBeLessThan(28 * 1024);
    expect(adaptiveCardErrors(teams.attachments[0]!.content)).toEqual([]);
    const texts = teams.attachments[0]!.content.body.map((b) => String(b.text ?? ""));
    const note = texts.find((t) => LEFT_OUT.test(t));
    expect(note).toMatch(/Teams.*\(\[workflow run\]\(https:\/\/github\.com\/acme/);
    expect(stringsOf(teams).some((s) => LONE_SURROGATE.test(s))).toBe(false);
    // No 1.5 property slipped in: the parser is strict about versions, as this shows.
    expect(
      adaptiveCardErrors({
        type: "AdaptiveCard",
        version: "1.4",
        body: [{ type: "TextBlock", text: "x", style: "heading" }],
      }),
    ).toEqual([expect.stringMatching(/supported in version 1\.5/)]);
  });

  it("GitHub: issue and comment bodies under 65,536 characters, Markdown whole", () => {
    const issue = renderIssue(largest, ["mlops-alert"], { report });
    const comment = issueCommentBody(issue, issueMarker(dedupeKeyOf(largest)));
    // The issue's text is escaped Markdown: read the note as it renders.
    const unescaped = (md: string) => md.replace(/\\(.)/g, "$1");
    for (const body of [issue.body, comment]) {
      expect(body.length).toBeLessThanOrEqual(65_000);
      expect(LEFT_OUT.test(unescaped(body))).toBe(true);
      expect(LONE_SURROGATE.test(body)).toBe(false);
    }
    expect(issue.body).toContain(`([workflow run](${RUN_LINK.url}))`);
    const tokens = marked.lexer(issue.body);
    const headings = tokens.filter((t): t is Tokens.Heading => t.type === "heading");
    expect(headings.map((h) => h.text)).toEqual(["Why", "Evidence", "Next step"]);
    const table = tokens.find((t): t is Tokens.Table => t.type === "table")!;
    expect(table.rows).toHaveLength(12);
    expect(table.rows.every((r) => r.length === 2)).toBe(true);
    const html = marked.parse(issue.body) as string;
    // Text from the alert stays text: no link, tag or emphasis came out of it or of a cut.
    expect(html).not.toMatch(/evil\.example"|<b>|<strong>bold/);
    expect(html.match(/<a href="([^"]+)"/g)!.map((a) => a.slice(9, -1))).toEqual([
      RUN_LINK.url,
      "https://github.com/acme/mango/pull/7",
      RUN_LINK.url,
    ]);
    const note = tokens.find(
      (t: Token) => t.type === "paragraph" && LEFT_OUT.test(unescaped(t.raw)),
    );
    expect(note).toBeDefined();
  });

  it("e-mail: under the cap it is sent whole; ten times over, cut with the line", () => {
    const whole = renderEmail(largest, { report });
    expect(whole.text).not.toMatch(LEFT_OUT);
    expect(whole.text).toContain(largest.why);
    const huge = {
      ...largest,
      evidence: Array.from({ length: 10 }, () => largest.evidence).flat(),
    };
    const cut = renderEmail(huge, { report });
    expect(cut.text.length).toBeLessThanOrEqual(EMAIL_PART_MAX);
    expect(cut.html.length).toBeLessThanOrEqual(EMAIL_PART_MAX);
    expect(cut.text).toMatch(LEFT_OUT);
    expect(cut.html).toContain(`<a href="${RUN_LINK.url}">workflow run</a>`);
  });
});

describe("the smallest alert", () => {
  it("is not cut on any channel", () => {
    const all = [
      JSON.stringify(renderSlackMessage(rejected, { report })),
      JSON.stringify(renderTeamsCard(rejected, { report })),
      renderIssue(rejected, ["mlops-alert"], { report }).body,
      renderEmail(rejected, { report }).text,
    ];
    for (const rendered of all) expect(rendered).not.toMatch(/left out/);
    expect(all[0]).toContain("f1_maduro 90.0% -&gt; 84.0%");
  });
});
