/**
 * Which channels are on, and why (lib/notify/plan.ts): each turns on from its secret or
 * variables as well as from its config section, the section's fields win, the GitHub
 * issue is on by default in Actions, and whatever is set but cannot work is a warning
 * that names what is missing and the fix, never a secret's value.
 */
import { describe, expect, it } from "vitest";
import {
  describePlan,
  NotifySettingsSchema,
  planChannels,
  webhookUrlProblem,
} from "../../lib/notify/index.ts";

const none = NotifySettingsSchema.parse({});
const local = { inActions: false, github: false };
const actions = { inActions: true, github: true };
const SLACK = "https://hooks.slack.com/services/T0/B0/s3cret";
const SMTP = {
  MLOPS_SMTP_HOST: "smtp.acme.org",
  MLOPS_ALERT_EMAIL_FROM: "MLOps <mlops@acme.org>",
  MLOPS_ALERT_EMAIL_TO: "a@acme.org, b@acme.org",
};

describe("channels from the environment", () => {
  it("as shipped (no notify section, nothing set): only the file channel, and the line says so", () => {
    const plan = planChannels(none, {}, local);
    expect(plan).toEqual({
      off: [
        "slack (no notify.slack, MLOPS_SLACK_WEBHOOK_URL unset)",
        "teams (no notify.teams, MLOPS_TEAMS_WEBHOOK_URL unset)",
        "email (no notify.email, MLOPS_SMTP_HOST unset)",
        "github_issue (outside Actions only with notify.github_issue)",
      ],
      warnings: [],
    });
    expect(describePlan(plan)).toMatch(/^alert channels: file \(always\); off: slack /);
  });

  it("turns each channel on from its variables alone, and the GitHub issue by default in Actions", () => {
    const env = {
      MLOPS_SLACK_WEBHOOK_URL: SLACK,
      MLOPS_TEAMS_WEBHOOK_URL: "https://acme.webhook.office.com/x/y?sig=s3cret",
      ...SMTP,
      MLOPS_SMTP_PORT: "465",
      MLOPS_SMTP_USER: "bot",
      MLOPS_SMTP_PASSWORD: "pa55",
    };
    const plan = planChannels(none, env, actions);
    expect(plan.slack).toEqual({ why: "MLOPS_SLACK_WEBHOOK_URL is set", settings: { url: SLACK } });
    expect(plan.teams!.settings).toBeDefined();
    expect(plan.email).toEqual({
      why: "MLOPS_SMTP_HOST, MLOPS_ALERT_EMAIL_FROM and MLOPS_ALERT_EMAIL_TO are set",
      settings: {
        smtp_host: "smtp.acme.org",
        smtp_port: 465,
        secure: true,
        from: "MLOps <mlops@acme.org>",
        to: ["a@acme.org", "b@acme.org"],
        user_env: "MLOPS_SMTP_USER",
        password_env: "MLOPS_SMTP_PASSWORD",
      },
    });
    expect(plan.github_issue).toEqual({
      why: "on by default in Actions",
      settings: { labels: ["mlops-alert"] },
    });
    expect(plan.warnings).toEqual([]);
    const line = describePlan(plan);
    expect(line).toBe(
      "alert channels: file (always), slack (MLOPS_SLACK_WEBHOOK_URL is set), teams (MLOPS_TEAMS_WEBHOOK_URL is set), email (MLOPS_SMTP_HOST, MLOPS_ALERT_EMAIL_FROM and MLOPS_ALERT_EMAIL_TO are set), github_issue (on by default in Actions)",
    );
    expect(line).not.toMatch(/s3cret|pa55|acme\.org/);
  });

  it("lets the section win for the fields it sets, and warns about a default variable it ignores", () => {
    const config = NotifySettingsSchema.parse({
      slack: { webhook_url_env: "OPS_SLACK" },
      email: { smtp_host: "relay", smtp_port: 25, from: "a@b.org", to: ["c@d.org"] },
      github_issue: { enabled: false },
    });
    const env = {
      OPS_SLACK: SLACK,
      MLOPS_SLACK_WEBHOOK_URL: "https://other",
      ...SMTP,
      MLOPS_SMTP_PORT: "2525",
    };
    const plan = planChannels(config, env, actions);
    expect(plan.slack).toEqual({ why: "notify.slack", settings: { url: SLACK } });
    expect(plan.email!.settings).toMatchObject({
      smtp_host: "relay",
      smtp_port: 25,
      secure: false,
      to: ["c@d.org"],
    });
    expect(plan.github_issue).toBeUndefined();
    expect(plan.off).toContain("github_issue (notify.github_issue.enabled is false)");
    expect(plan.warnings).toEqual([
      "MLOPS_SLACK_WEBHOOK_URL is set, but notify.slack.webhook_url_env reads OPS_SLACK, so MLOPS_SLACK_WEBHOOK_URL is ignored (fix: drop webhook_url_env from notify.slack, or delete MLOPS_SLACK_WEBHOOK_URL)",
    ]);
  });

  it("keeps the GitHub issue as configured outside Actions, and off in Actions without a token", () => {
    const configured = NotifySettingsSchema.parse({ github_issue: { labels: ["ops"] } });
    expect(planChannels(configured, {}, { inActions: false, github: true }).github_issue).toEqual({
      why: "notify.github_issue",
      settings: { labels: ["ops"] },
    });
    const noToken = planChannels(none, {}, { inActions: true, github: false });
    expect(noToken.off).toContain("github_issue (no GitHub token in this job)");
  });
});

describe("what is set but cannot work", () => {
  const warningOf = (env: NodeJS.ProcessEnv, config = none) => {
    const plan = planChannels(config, env, local);
    expect(plan.warnings).toHaveLength(1);
    return plan.warnings[0]!;
  };

  it("an SMTP password without a server names the missing variables", () => {
    const plan = planChannels(none, { MLOPS_SMTP_PASSWORD: "pa55" }, local);
    expect(plan.email!.problem).toBe(
      "e-mail alerts need MLOPS_SMTP_HOST, MLOPS_ALERT_EMAIL_FROM and MLOPS_ALERT_EMAIL_TO, but MLOPS_SMTP_HOST, MLOPS_ALERT_EMAIL_FROM and MLOPS_ALERT_EMAIL_TO are not set while MLOPS_SMTP_PASSWORD is (fix: set the repository variables MLOPS_SMTP_HOST, MLOPS_ALERT_EMAIL_FROM and MLOPS_ALERT_EMAIL_TO and pass them to the step, or delete MLOPS_SMTP_PASSWORD)",
    );
    expect(plan.warnings).toEqual([`alert channel email cannot deliver: ${plan.email!.problem}`]);
    expect(describePlan(plan)).toContain(
      "email (MLOPS_SMTP_PASSWORD is set; cannot deliver, see the warning)",
    );
    expect(plan.warnings[0]).not.toContain("pa55");
  });

  it("a login without its password, a bad port or flag, a bad address", () => {
    expect(warningOf({ ...SMTP, MLOPS_SMTP_USER: "bot" })).toMatch(
      /MLOPS_SMTP_USER is set but MLOPS_SMTP_PASSWORD is not: an SMTP login needs both \(fix: set MLOPS_SMTP_PASSWORD too, or delete MLOPS_SMTP_USER/,
    );
    expect(warningOf({ ...SMTP, MLOPS_SMTP_PORT: "smtp" })).toMatch(
      /MLOPS_SMTP_PORT is "smtp", not a port 1-65535/,
    );
    expect(warningOf({ ...SMTP, MLOPS_SMTP_SECURE: "yes" })).toMatch(
      /MLOPS_SMTP_SECURE is "yes", not true or false/,
    );
    expect(warningOf({ ...SMTP, MLOPS_ALERT_EMAIL_TO: "ops team" })).toMatch(
      /MLOPS_ALERT_EMAIL_TO: expected an e-mail address/,
    );
  });

  it("a configured channel whose secret is empty, or whose login variables are both empty", () => {
    const slack = NotifySettingsSchema.parse({ teams: {} });
    expect(warningOf({ MLOPS_TEAMS_WEBHOOK_URL: " " }, slack)).toMatch(
      /^alert channel teams cannot deliver: MLOPS_TEAMS_WEBHOOK_URL is not set \(fix: /,
    );
    const email = NotifySettingsSchema.parse({
      email: {
        smtp_host: "relay",
        from: "a@b.org",
        to: ["c@d.org"],
        user_env: "U",
        password_env: "P",
      },
    });
    const plan = planChannels(email, {}, local);
    expect(plan.email!.settings).toBeDefined();
    expect(plan.warnings).toEqual([
      "notify.email names U and P, but neither is set: e-mail goes out without a login (fix: set both secrets, or drop user_env and password_env)",
    ]);
  });

  it("a webhook URL that is not https, or not a URL, without quoting it", () => {
    const plain = warningOf({
      MLOPS_SLACK_WEBHOOK_URL: "http://hooks.slack.com/services/T/B/s3cret",
    });
    expect(plain).toMatch(
      /MLOPS_SLACK_WEBHOOK_URL is not an https URL \(it starts http:\/\/; fix: /,
    );
    expect(plain).not.toContain("s3cret");
    expect(warningOf({ MLOPS_TEAMS_WEBHOOK_URL: "s3cret" })).toMatch(
      /MLOPS_TEAMS_WEBHOOK_URL is not a URL/,
    );
    // A receiver on this machine (a test, a local relay) may use plain http.
    for (const url of ["http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]:9/x"])
      expect(webhookUrlProblem(url, "X", "Slack")).toBeNull();
  });
});
