/**
 * The configuration is strict: an unknown key (a typo) anywhere, a min above its max, a
 * repeated label, a store URI the stores cannot open or an endpoint that is not http(s) is
 * an error naming the file or variable, the field and the fix.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../lib/config.ts";

/** The ConfigError `fn` throws. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

/** The lines of the ConfigError for `json`, without the closing pointer to the schema. */
const problemLines = (json: unknown, env: NodeJS.ProcessEnv = {}) =>
  configError(() => parseConfig(json, env))
    .message.split("\n")
    .slice(1, -1);

describe("strict settings", () => {
  it("refuses a typo anywhere, naming the setting it was meant to be", () => {
    expect(
      problemLines({
        quality: { checks: { minBlurVarience: 10, weights: { blurr: 1 } } },
        training: { augment: { flipp: true } },
        polcy: {},
      }),
    ).toEqual([
      'mlops.config.json: quality.checks.weights.blurr: is not a setting (fix: did you mean "blur"? rename the key)',
      'mlops.config.json: quality.checks.minBlurVarience: is not a setting (fix: did you mean "minBlurVariance"? rename the key)',
      'mlops.config.json: training.augment.flipp: is not a setting (fix: did you mean "flip"? rename the key)',
      'mlops.config.json: polcy: is not a setting (fix: did you mean "policy"? rename the key)',
    ]);
  });

  it("lists the settings that exist when an unknown key resembles none", () => {
    expect(problemLines({ git: { remote_name: "origin" } })).toEqual([
      "mlops.config.json: git.remote_name: is not a setting (fix: remove it; the settings here are base_branch)",
    ]);
  });

  it("refuses every min above its max, naming both fields and the fix", () => {
    expect(
      problemLines({
        quality: {
          checks: { minWidth: 400, maxWidth: 300, darkClipLevel: 250, brightClipLevel: 250 },
          vlm: { backoff_ms: 30_000, max_backoff_ms: 20_000 },
        },
        training: { epochs: 5, warmup_epochs: 6 },
      }),
    ).toEqual([
      "mlops.config.json: quality.checks.minWidth: is 400, more than maxWidth (300); it must not exceed it (fix: lower minWidth or raise maxWidth)",
      "mlops.config.json: quality.checks.darkClipLevel: is 250, not below brightClipLevel (250); it must be smaller (fix: lower darkClipLevel or raise brightClipLevel)",
      "mlops.config.json: quality.vlm.backoff_ms: is 30000, more than max_backoff_ms (20000); it must not exceed it (fix: lower backoff_ms or raise max_backoff_ms)",
      "mlops.config.json: training.warmup_epochs: is 6, more than epochs (5); it must not exceed it (fix: lower warmup_epochs or raise epochs)",
    ]);
  });

  it("refuses a smallest image larger than maxPixels allows", () => {
    expect(
      problemLines({ quality: { checks: { minWidth: 5000, minHeight: 5000, maxPixels: 1e6 } } }),
    ).toEqual([
      "mlops.config.json: quality.checks.maxPixels: is 1000000, fewer than the smallest image allowed (minWidth x minHeight = 25000000): every image would be refused (fix: raise maxPixels or lower minWidth/minHeight)",
    ]);
  });

  it("accepts a min equal to its max where the range is inclusive", () => {
    const config = parseConfig({ quality: { checks: { minWidth: 224, maxWidth: 224 } } });
    expect(config.quality.checks).toMatchObject({ minWidth: 224, maxWidth: 224 });
  });

  it("refuses a label listed twice, pointing at the repetition", () => {
    expect(problemLines({ labels: ["verde", "maduro", "verde"] })).toEqual([
      'mlops.config.json: labels.2: "verde" is listed twice (fix: list each class once)',
    ]);
  });

  it("refuses a label that is not a class name, saying which names are allowed", () => {
    expect(problemLines({ policy: { critical_class: "Maduro" } })).toEqual([
      `mlops.config.json: policy.critical_class: expected a lowercase class name (fix: use a-z, 0-9 and '_', e.g. "maduro")`,
    ]);
  });

  it.each([
    ["https://storage.example.com/artifacts", "must start with file:/// or s3://<bucket>"],
    ["file://relative/artifacts", "file URIs must be absolute: file:///path/to/folder"],
    [
      "s3://Mango_Artifacts/models",
      "names no valid bucket: 3-63 lowercase letters, digits, '.' and '-' after s3://",
    ],
    [
      "s3://mango-artifacts/../other",
      "has a prefix that has an empty, '.' or '..' segment and so would point outside base_uri",
    ],
  ])("refuses artifacts_uri %s", (uri, why) => {
    expect(problemLines({ artifacts_uri: uri })).toEqual([
      `mlops.config.json: artifacts_uri: "${uri}" ${why} (fix: use "s3://bucket/prefix", "file:///absolute/folder" or a folder path such as ".mlops/artifacts")`,
    ]);
  });

  it.each([".mlops/artifacts", "/srv/artifacts", "file:///srv/artifacts", "s3://mango-art/m"])(
    "accepts artifacts_uri %s",
    (uri) => {
      expect(parseConfig({ artifacts_uri: uri }).artifacts_uri).toBe(uri);
    },
  );

  it("names the variable when MLOPS_ARTIFACTS_URI is not a store", () => {
    expect(problemLines({}, { MLOPS_ARTIFACTS_URI: "ftp://host/x" })[0]).toMatch(
      /^environment variable MLOPS_ARTIFACTS_URI: artifacts_uri: "ftp:\/\/host\/x" must start with file:\/\/\/ or s3:\/\/<bucket> \(fix: /,
    );
  });

  it("takes only http(s) URLs for endpoints", () => {
    expect(
      problemLines({
        analyst: { base_url: "ftp://llm.example.com/v1" },
        s3: { endpoint: "file:///tmp" },
        quality: { vlm: { base_url: "javascript:alert(1)" } },
      }),
    ).toEqual([
      "mlops.config.json: quality.vlm.base_url: expected an http:// or https:// URL (fix: e.g. https://api.openai.com/v1)",
      "mlops.config.json: analyst.base_url: expected an http:// or https:// URL (fix: e.g. https://api.openai.com/v1)",
      "mlops.config.json: s3.endpoint: expected an http:// or https:// URL (fix: e.g. https://objectstorage.example.com)",
    ]);
    expect(parseConfig({ s3: { endpoint: "http://127.0.0.1:9000" } }).s3.endpoint).toBe(
      "http://127.0.0.1:9000",
    );
  });

  it("refuses half an SMTP login and a repeated issue label", () => {
    const email = { smtp_host: "mail", from: "a@b.org", to: ["c@d.org"], user_env: "SMTP_USER" };
    expect(
      problemLines({ notify: { email, github_issue: { labels: ["mlops-alert", "mlops-alert"] } } }),
    ).toEqual([
      "mlops.config.json: notify.email.password_env: is missing while user_env is set: an SMTP login needs both (fix: name the variable of the other half, or remove user_env for a relay without login)",
      'mlops.config.json: notify.github_issue.labels.1: "mlops-alert" is listed twice (fix: list each label once)',
    ]);
  });

  it("gives every other problem a fix too", () => {
    expect(problemLines({ quality: { threshold: 11 } })).toEqual([
      "mlops.config.json: quality.threshold: Too big: expected number to be <=10 (fix: see quality.threshold in mlops.config.schema.json)",
    ]);
  });
});
