/**
 * The `notify` section of mlops.config.json: a section turns its channel on, secrets are
 * refused in the file with where they belong, and e-mail needs real addresses.
 */
import { describe, expect, it } from "vitest";
import { NotifySettingsSchema, planChannels } from "../../lib/notify/index.ts";

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
    const email = NotifySettingsSchema.parse({
      email: { smtp_host: "mail", from: "MLOps <ml@acme.org>", to: ["a@acme.org"] },
    });
    // The port is the section's, else MLOPS_SMTP_PORT's, else 587 (plan.ts).
    expect(email.email!.smtp_port).toBeUndefined();
    const plan = planChannels(email, {}, { inActions: false, github: false });
    expect(plan.email!.settings).toMatchObject({ smtp_port: 587, secure: false });
  });
});
