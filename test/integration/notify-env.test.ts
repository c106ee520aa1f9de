/**
 * Alerts as the workflows configure them: no `notify` section, only the secrets and
 * variables in the environment. Through `notifierOf` (the app's builder) a rejected
 * candidate reaches a Slack and a Teams receiver, a real SMTP server and, with
 * GITHUB_ACTIONS=true, an issue on the GitHub stand-in through a real Octokit; the
 * largest alert arrives within each service's size limits, its rerun comment too; what
 * is set but cannot work is a warning and a failed delivery, never a secret in a log.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitHubOf, notifierOf } from "../../app/services.ts";
import { ConfigSchema } from "../../lib/config.ts";
import type { SlackPayload, TeamsPayload } from "../../lib/notify/index.ts";
import { startGitHubServer, type RunningGitHubServer } from "../helpers/github-server.ts";
import { largestAlert, rejected } from "../helpers/notify-alerts.ts";
import { adaptiveCardErrors, slackViolations } from "../helpers/notify-contracts.ts";
import { startSmtpReceiver, startWebhookReceiver } from "../helpers/notify-receivers.ts";

type Receivers = {
  hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
  smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  gh: RunningGitHubServer;
  runDir: string;
};
let r: Receivers;
beforeAll(async () => {
  const [hooks, smtp, gh] = await Promise.all([
    startWebhookReceiver(),
    startSmtpReceiver(),
    startGitHubServer({ owner: "acme", repo: "mango" }),
  ]);
  r = { hooks, smtp, gh, runDir: await mkdtemp(join(tmpdir(), "notify-env-")) };
});
afterAll(async () => {
  await Promise.all([r.hooks.stop(), r.smtp.stop(), r.gh.stop()]);
  await rm(r.runDir, { recursive: true, force: true });
});

const config = ConfigSchema.parse({});
const SLACK_PATH = "/services/T0/B0/sl4ck-s3cret";
const TEAMS_PATH = "/workflows/run?sig=t3ams-s3cret";

/** The environment a pipeline step gets from the workflow, secrets and variables set. */
const actionsEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  GITHUB_ACTIONS: "true",
  GITHUB_TOKEN: r.gh.token,
  GITHUB_REPOSITORY: "acme/mango",
  GITHUB_API_URL: r.gh.baseUrl,
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_RUN_ID: "77",
  MLOPS_SLACK_WEBHOOK_URL: r.hooks.url(SLACK_PATH),
  MLOPS_TEAMS_WEBHOOK_URL: r.hooks.url(TEAMS_PATH),
  MLOPS_SMTP_HOST: "127.0.0.1",
  MLOPS_SMTP_PORT: String(r.smtp.port),
  MLOPS_ALERT_EMAIL_FROM: "MLOps <mlops@acme.org>",
  MLOPS_ALERT_EMAIL_TO: "ops@acme.org,ml@acme.org",
  MLOPS_SMTP_USER: "mlops-bot",
  MLOPS_SMTP_PASSWORD: "smtp-pa55word",
  ...extra,
});

function build(env: NodeJS.ProcessEnv) {
  const lines: string[] = [];
  const warnings: string[] = [];
  const secrets: string[] = [];
  const hooks = {
    warn: (m: string) => warnings.push(m),
    setSecret: (s: string) => secrets.push(s),
  };
  const github = gitHubOf(env, hooks);
  const notifier = notifierOf(config, env, (m) => lines.push(m), hooks, github);
  return { notifier, lines, warnings, secrets };
}

const posted = <T>(path: string) =>
  r.hooks.requests.filter((q) => q.path === path).at(-1)!.json as T;

describe("channels from the environment alone", () => {
  it("a rejected candidate reaches Slack, Teams, e-mail and a GitHub issue", async () => {
    const { notifier, lines, warnings, secrets } = build(actionsEnv());
    expect(lines[0]).toBe(
      "alert channels: file (always), slack (MLOPS_SLACK_WEBHOOK_URL is set), teams (MLOPS_TEAMS_WEBHOOK_URL is set), email (MLOPS_SMTP_HOST, MLOPS_ALERT_EMAIL_FROM and MLOPS_ALERT_EMAIL_TO are set), github_issue (on by default in Actions)",
    );
    expect(warnings).toEqual([]);
    const refs = await notifier.notify(rejected, r.runDir);
    expect(refs.map((x) => x.channel)).toEqual(["file", "slack", "teams", "email", "github_issue"]);

    expect(JSON.stringify(posted<SlackPayload>(SLACK_PATH))).toContain(
      "mango-ripeness v3 rejected",
    );
    expect(posted<TeamsPayload>(TEAMS_PATH).attachments[0]!.content.type).toBe("AdaptiveCard");
    const mail = r.smtp.mails.at(-1)!;
    expect(mail).toMatchObject({ to: ["ops@acme.org", "ml@acme.org"], user: "mlops-bot" });
    expect(mail.subject).toBe("[mango-mlops ERROR] mango-ripeness v3 rejected");
    const issue = r.gh.state.issues.at(-1)!;
    expect(issue).toMatchObject({ title: "mango-ripeness v3 rejected", labels: ["mlops-alert"] });
    expect(refs.at(-1)!.location).toMatch(/\/acme\/mango\/issues\/\d+$/);

    expect(secrets).toEqual(
      expect.arrayContaining([r.hooks.url(SLACK_PATH), r.hooks.url(TEAMS_PATH), "smtp-pa55word"]),
    );
    expect(lines.join("\n")).not.toMatch(/s3cret|pa55word/);
  });

  it("the largest alert arrives within every service's limits, and so does its rerun comment", async () => {
    const { notifier } = build(actionsEnv());
    const alert = { ...largestAlert(), links: [] };
    for (const runId of ["run-1", "run-2"]) {
      const refs = await notifier.notify({ ...alert, runId }, r.runDir);
      expect(refs.filter((x) => x.channel.endsWith("(failed)"))).toEqual([]);
    }
    const leftOut =
      /left out or shortened .* the full report is alert\.md in the run folder of run-2/;
    const slack = posted<SlackPayload>(SLACK_PATH);
    expect(slackViolations(slack)).toEqual([]);
    expect(JSON.stringify(slack)).toMatch(leftOut);
    expect(JSON.stringify(slack)).toContain(
      "https://github.com/acme/mango/actions/runs/77|workflow run",
    );

    const teams = r.hooks.requests.filter((q) => q.path === TEAMS_PATH).at(-1)!;
    expect(Buffer.byteLength(JSON.stringify(teams.json))).toBeLessThanOrEqual(27_000);
    const card = (teams.json as TeamsPayload).attachments[0]!.content;
    expect(adaptiveCardErrors(card)).toEqual([]);
    expect(JSON.stringify(card)).toMatch(leftOut);

    const issue = r.gh.state.issues.find((i) => i.title.startsWith("Data gate failed"))!;
    const comments = [...r.gh.state.comments.values()].filter(
      (c) => c.issue_number === issue.number,
    );
    expect(comments).toHaveLength(1);
    for (const body of [issue.body!, comments[0]!.body]) {
      expect(body.length).toBeLessThanOrEqual(65_536);
      expect(body.replace(/\\(.)/g, "$1")).toMatch(
        /left out or shortened .* to fit the size limits of GitHub/,
      );
    }
    // E-mail has room: the whole alert went out.
    expect(r.smtp.mails.at(-1)!.text).not.toMatch(/left out/);
  });

  it("outside Actions the GitHub issue stays off without a notify section", async () => {
    const env = actionsEnv({ GITHUB_ACTIONS: undefined, MLOPS_PUBLISH: "github" });
    const { notifier, lines } = build(env);
    expect(lines[0]).toContain("github_issue (outside Actions only with notify.github_issue)");
    const refs = await notifier.notify(rejected, r.runDir);
    expect(refs.map((x) => x.channel)).toEqual(["file", "slack", "teams", "email"]);
  });

  it("a secret without what its channel needs is a warning and a failed delivery, not a crash", async () => {
    const env = actionsEnv({
      MLOPS_SMTP_HOST: undefined,
      MLOPS_ALERT_EMAIL_FROM: undefined,
      MLOPS_ALERT_EMAIL_TO: undefined,
      MLOPS_SMTP_USER: undefined,
      MLOPS_SLACK_WEBHOOK_URL: "http://hooks.slack.com/services/T/B/pl4in-s3cret",
    });
    const { notifier, lines, warnings } = build(env);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^alert channel slack cannot deliver: MLOPS_SLACK_WEBHOOK_URL is not an https URL/,
      ),
      expect.stringMatching(
        /^alert channel email cannot deliver: e-mail alerts need MLOPS_SMTP_HOST, .* while MLOPS_SMTP_PORT and MLOPS_SMTP_PASSWORD are/,
      ),
    ]);
    const before = r.hooks.requests.length;
    const refs = await notifier.notify(rejected, r.runDir);
    expect(refs.map((x) => x.channel)).toEqual([
      "file",
      "slack (failed)",
      "teams",
      "email (failed)",
      "github_issue",
    ]);
    expect(refs[1]!.reason).toMatch(/not an https URL/);
    // Nothing went to the plain-http URL; Teams still got its card.
    expect(r.hooks.requests.length).toBe(before + 1);
    expect([...lines, ...warnings, ...refs.map((x) => x.reason)].join("\n")).not.toMatch(
      /s3cret|pa55word/,
    );
  });
});
