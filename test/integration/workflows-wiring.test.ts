/**
 * The workflows hand this repository's actions what the README promises: a pull request
 * token wherever a pull request may be opened, and every alert channel wherever an alert
 * may be sent. Checked on the committed workflows, and on copies with one line taken out.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { wiringRules } from "../../scripts/workflow-wiring.ts";
import { parseYaml } from "../../scripts/workflow-yaml.ts";

const repo = resolve(import.meta.dirname, "../..");
const workflow = (name: string) => readFile(resolve(repo, ".github/workflows", name), "utf8");
const rulesOf = (file: string, text: string) =>
  wiringRules(file, parseYaml(text)).map((p) => `${p.rule}@${p.line}`);
/** The text without the lines that match. */
const without = (text: string, pattern: RegExp) =>
  text
    .split("\n")
    .filter((l) => !pattern.test(l))
    .join("\n");

describe("workflow wiring", () => {
  it("the committed workflows pass", async () => {
    for (const name of ["pipeline.yml", "promote.yml", "bucket-watch.yml", "ci.yml"])
      expect(rulesOf(name, await workflow(name)), name).toEqual([]);
  });

  it("a step that opens pull requests without pr_token is caught; the data job needs none", async () => {
    const text = await workflow("pipeline.yml");
    const problems = wiringRules("pipeline.yml", parseYaml(without(text, /^\s+pr_token:/)));
    expect(problems.map((p) => p.rule)).toEqual(["pr-token"]);
    expect(problems[0]!.message).toContain('job "train"');
    expect(problems[0]!.message).toContain("github.token");
    const watch = without(await workflow("bucket-watch.yml"), /^\s+pr_token:/);
    expect(rulesOf("bucket-watch.yml", watch)).toHaveLength(1);
  });

  it("a step that may alert without a channel's variable is caught, naming it", async () => {
    const text = without(await workflow("promote.yml"), /MLOPS_TEAMS_WEBHOOK_URL/);
    const problems = wiringRules("promote.yml", parseYaml(text));
    expect(problems.map((p) => p.rule)).toEqual(["alert-channels"]);
    expect(problems[0]!.message).toContain("MLOPS_TEAMS_WEBHOOK_URL");
    // The pipeline takes the e-mail settings from the workflow's env: dropping them there counts.
    const pipeline = without(await workflow("pipeline.yml"), /^ {2}MLOPS_SMTP_HOST:/);
    expect(rulesOf("pipeline.yml", pipeline)).toHaveLength(2); // both jobs
  });

  it("env at the job level counts, and other actions are not held to it", () => {
    const text = [
      "jobs:",
      "  a:",
      "    env:",
      ...[
        "MLOPS_SLACK_WEBHOOK_URL",
        "MLOPS_TEAMS_WEBHOOK_URL",
        "MLOPS_SMTP_HOST",
        "MLOPS_SMTP_PORT",
        "MLOPS_SMTP_SECURE",
        "MLOPS_ALERT_EMAIL_FROM",
        "MLOPS_ALERT_EMAIL_TO",
        "MLOPS_SMTP_USER",
        "MLOPS_SMTP_PASSWORD",
      ].map((n) => `      ${n}: x`),
      "    steps:",
      "      - uses: ./actions/promote",
      "      - uses: ./actions/manifest-review",
    ].join("\n");
    expect(rulesOf("x.yml", text)).toEqual([]);
  });
});
