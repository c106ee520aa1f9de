/**
 * The channel notifier against real local receivers: a webhook server for Slack and Teams,
 * a real SMTP server, and a GitHub issues stand-in reached through the Octokit of
 * @actions/github. A typed alert for a rejected candidate reaches all four and alert.md;
 * a rerun comments on the open issue; text that looks like a label stays in its field on
 * every channel as delivered.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lookalike, REAL_NEXT_STEP, rejected } from "../helpers/notify-alerts.ts";
import { type NotifyRig, SLACK_PATH, startNotifyRig, TEAMS_PATH } from "../helpers/notify-rig.ts";
import { escapeMarkdown } from "../../lib/markdown.ts";

let rig: NotifyRig;
beforeAll(async () => {
  rig = await startNotifyRig();
});
afterAll(() => rig.stop());

interface SlackJson {
  text: string;
  blocks: Array<{ type: string; text?: { text: string }; elements?: Array<{ url?: string }> }>;
}
interface TeamsJson {
  type: string;
  attachments: Array<{
    contentType: string;
    content: { type: string; version: string; body: Array<{ text?: string }> };
  }>;
}

describe("channel notifier", () => {
  it("a rejected candidate produces an issue, a Slack message, a Teams card and an email", async () => {
    const { github, smtp, webhooks, runDir } = rig;
    const { notifier, lines, secrets } = rig.notifier();
    const refs = await notifier.notify(rejected, runDir);

    expect(refs.map((r) => r.channel)).toEqual(["file", "slack", "teams", "email", "github_issue"]);
    expect(refs.find((r) => r.channel === "slack")!.location).toBe("slack webhook");
    expect(refs.find((r) => r.channel === "github_issue")!.location).toBe(
      `${github.baseUrl}/acme/mango/issues/1`,
    );
    const file = await readFile(join(runDir, "alert.md"), "utf8");
    expect(file).toMatch(/^# mango-ripeness v3 rejected\n/);
    expect(file).toContain("- [Workflow run](https://github.com/acme/mango/actions/runs/99)");

    const slack = rig.posted(SLACK_PATH).at(-1)!;
    expect(slack.contentType).toMatch(/^application\/json/);
    const slackJson = slack.json as SlackJson;
    expect(slackJson.blocks.map((b) => b.type)).toEqual([
      "header",
      "section",
      "section",
      "section",
      "section",
      "section",
      "actions",
      "context",
    ]);
    expect(slackJson.text).toMatch(/^mango-ripeness v3 rejected: the candidate trained/);
    // The alert's own link, then the run that raised it.
    expect(slackJson.blocks.find((b) => b.type === "actions")!.elements!.map((e) => e.url)).toEqual(
      ["https://github.com/acme/mango/pull/7", "https://github.com/acme/mango/actions/runs/99"],
    );

    const teams = rig.posted(TEAMS_PATH).at(-1)!;
    expect(teams.contentType).toMatch(/^application\/json/);
    const card = teams.json as TeamsJson;
    expect(card.type).toBe("message");
    expect(card.attachments[0]!.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(card.attachments[0]!.content).toMatchObject({ type: "AdaptiveCard", version: "1.4" });
    expect(card.attachments[0]!.content.body.map((b) => b.text)).toContain(
      "maduro F1 fell 6.0 points (allowed 0.0).",
    );

    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail).toMatchObject({
      from: "mlops@acme.org",
      to: ["grower-ops@acme.org"],
      user: "mlops-bot",
      subject: "[mango-mlops ERROR] mango-ripeness v3 rejected",
    });
    expect(mail.headers.get("x-mango-mlops-run")).toBe("run-42");
    expect(refs.find((r) => r.channel === "email")!.location).toBe(mail.headers.get("message-id"));
    expect(mail.text).toContain("Next step:\nlook at the data in data-manifests/farm-b.json");
    expect(mail.html).toContain("<li>accuracy 91.0% -&gt; 88.5%</li>");

    expect(github.issues).toHaveLength(1);
    expect(github.issues[0]).toMatchObject({
      title: "mango-ripeness v3 rejected",
      labels: ["mlops-alert", "model"],
    });
    expect(github.issues[0]!.body).toMatch(
      /^<!-- mango-mlops-alert:reject:data-manifests\/farm-b\.json -->\n\*\*ERROR\*\*/,
    );

    expect(secrets.sort()).toEqual(
      [webhooks.url(SLACK_PATH), webhooks.url(TEAMS_PATH), "smtp-pa55word"].sort(),
    );
    expect(lines.find((l) => l.startsWith("ALERT"))).toMatch(
      /^ALERT \[error\] mango-ripeness v3 rejected\n {2}\| \*\*ERROR\*\*: the candidate/,
    );
    expect(lines.join("\n")).not.toMatch(/s3cret|pa55word/);
  });

  it("a rerun comments on the open issue instead of opening another", async () => {
    const { github } = rig;
    const { notifier } = rig.notifier();
    const refs = await notifier.notify({ ...rejected, runId: "run-43" }, rig.runDir);
    expect(github.issues).toHaveLength(1);
    expect(github.issues[0]!.comments).toHaveLength(1);
    expect(github.issues[0]!.comments[0]).toMatch(
      /^This happened again: \*\*mango\\-ripeness v3 rejected\*\*/,
    );
    expect(github.issues[0]!.comments[0]).not.toContain("<!-- mango-mlops-alert");
    expect(refs.find((r) => r.channel === "github_issue")!.location).toBe(
      `${github.baseUrl}/acme/mango/issues/1#issuecomment-1`,
    );
  });

  it("text that looks like a label stays in its own field on every channel as delivered", async () => {
    const { notifier } = rig.notifier();
    const refs = await notifier.notify(lookalike, rig.runDir);
    expect(refs.every((r) => !r.channel.endsWith("(failed)"))).toBe(true);
    const { why, whatHappened } = lookalike;
    const line = lookalike.evidence[0] as string;

    const slack = rig.posted(SLACK_PATH).at(-1)!.json as SlackJson;
    expect(
      slack.blocks.filter((b) => b.type === "section" && b.text).map((b) => b.text!.text),
    ).toEqual([
      whatHappened,
      `*Why*\n${why}`,
      `*Evidence*\n• ${line}`,
      `*Next step*\n${REAL_NEXT_STEP}`,
    ]);

    const card = rig.posted(TEAMS_PATH).at(-1)!.json as TeamsJson;
    const texts = card.attachments[0]!.content.body.flatMap((b) => (b.text ? [b.text] : []));
    expect(texts).toEqual([
      lookalike.title,
      whatHappened,
      "Why",
      ...why.split("\n"),
      "Evidence",
      `• ${line}`,
      "Next step",
      REAL_NEXT_STEP,
    ]);

    const mail = rig.smtp.mails.at(-1)!;
    expect(mail.text).toContain(
      `Why:\n${why}\n\nEvidence:\n- ${line}\n\nNext step:\n${REAL_NEXT_STEP}\n\n`,
    );
    expect(mail.html.split("<h3>")).toHaveLength(4);

    const markdown = (t: (s: string) => string) =>
      `### Why\n\n${t(why)}\n\n### Evidence\n\n- ${t(line)}\n\n### Next step\n\n${t(REAL_NEXT_STEP)}\n`;
    const asIs = (s: string) => s;
    // The issue renders on GitHub: the same fields, made inert.
    const inert = (s: string) => s.split("\n").map(escapeMarkdown).join("\n");
    const issue = rig.github.issues.find((i) => i.title === lookalike.title)!;
    expect(issue.body).toContain(markdown(inert));
    expect(issue.body.split("### ")).toHaveLength(4);
    expect(await readFile(join(rig.runDir, "alert.md"), "utf8")).toContain(markdown(asIs));
  });
});
