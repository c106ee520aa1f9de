/**
 * When a channel fails, against the same real local receivers: a 500 is retried with
 * backoff; a channel that is down does not stop the others and its error carries no
 * secret; a missing secret or GitHub client is a failed channel with the fix.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotifySettingsSchema } from "../../lib/notify/index.ts";
import { rejected } from "../helpers/notify-alerts.ts";
import {
  closedPort,
  type NotifyRig,
  SLACK_PATH,
  startNotifyRig,
  TEAMS_PATH,
} from "../helpers/notify-rig.ts";

let rig: NotifyRig;
beforeAll(async () => {
  rig = await startNotifyRig();
});
afterAll(() => rig.stop());

/** Issues opened plus comments made: one more per delivered github_issue alert. */
const issueWrites = () => rig.github.issues.reduce((n, issue) => n + 1 + issue.comments.length, 0);

describe("channel failures", () => {
  it("retries Slack after a 500, honouring the backoff", async () => {
    rig.webhooks.fail(SLACK_PATH, 500);
    const before = rig.posted(SLACK_PATH).length;
    const { notifier, lines, sleeps } = rig.notifier({
      config: NotifySettingsSchema.parse({ slack: {}, retries: 2 }),
    });
    const refs = await notifier.notify(rejected, rig.runDir);
    expect(refs.map((r) => r.channel)).toEqual(["file", "slack"]);
    expect(rig.posted(SLACK_PATH).length - before).toBe(2);
    expect(sleeps).toEqual([500]);
    expect(lines.join("\n")).toMatch(
      /alert to slack: attempt 1 failed \(Slack webhook answered 500: service_unavailable\); retrying in 500 ms/,
    );
  });

  it("a channel that is down does not stop the others, and its error carries no secret", async () => {
    const writesBefore = issueWrites();
    const mailsBefore = rig.smtp.mails.length;
    rig.webhooks.fail(TEAMS_PATH, 503, 503, 503);
    const { notifier, lines, sleeps } = rig.notifier(
      {},
      {
        MLOPS_SLACK_WEBHOOK_URL: `http://127.0.0.1:${await closedPort()}/services/T/B/d0wn-s3cret`,
      },
    );
    const refs = await notifier.notify(rejected, rig.runDir);

    expect(refs.map((r) => r.channel)).toEqual([
      "file",
      "slack (failed)",
      "teams (failed)",
      "email",
      "github_issue",
    ]);
    const slack = refs[1]!;
    expect(slack.reason).toMatch(/^Slack webhook unreachable \(ECONNREFUSED\)$/);
    expect(slack.location).toBe("slack webhook");
    expect(refs[2]!.reason).toBe("Teams webhook answered 503: service_unavailable");
    expect(sleeps).toEqual(expect.arrayContaining([500, 1000]));
    expect(rig.smtp.mails.length).toBe(mailsBefore + 1);
    expect(issueWrites()).toBe(writesBefore + 1);

    const everything = [...lines, ...refs.map((r) => `${r.reason} ${r.location}`)].join("\n");
    expect(everything).toMatch(/warning: alert to slack failed/);
    expect(everything).not.toMatch(/s3cret|pa55word|sig=abc/);
  });

  it("a missing secret or GitHub client is a failed channel with the fix, not an exception", async () => {
    const { notifier, lines } = rig.notifier(
      { octokit: undefined },
      { MLOPS_SLACK_WEBHOOK_URL: "" },
    );
    const refs = await notifier.notify(rejected, rig.runDir);
    expect(refs.find((r) => r.channel === "slack (failed)")!.reason).toMatch(
      /MLOPS_SLACK_WEBHOOK_URL is not set \(fix: /,
    );
    expect(refs.find((r) => r.channel === "github_issue (failed)")!.reason).toMatch(
      /no GitHub client/,
    );
    expect(refs.find((r) => r.channel === "teams")).toBeDefined();
    // Configuration errors are not retried.
    expect(lines.join("\n")).not.toMatch(/alert to slack: attempt/);
  });

  it("a file channel that cannot write is a failed ref, and the other channels still deliver", async () => {
    const { notifier } = rig.notifier({ config: NotifySettingsSchema.parse({ slack: {} }) });
    // A run folder under a regular file cannot be created.
    const file = join(rig.runDir, "not-a-folder");
    await writeFile(file, "");
    const refs = await notifier.notify(rejected, join(file, "run-42"));
    expect(refs.map((r) => r.channel)).toEqual(["file (failed)", "slack"]);
    expect(refs[0]!.reason).toMatch(/EEXIST|ENOTDIR/);
  });
});
