/**
 * Configuration faults through `npm run validate`: a typo, a min above its max, a repeated
 * label or key, a store URI or endpoint of the wrong form, a value out of range, a bad
 * environment override. Each exits 1 before anything is read or written, with one line per
 * problem naming the file (or variable), the setting, what is wrong and the fix.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { useValidateWorld } from "../helpers/faults-validate.ts";

const w = useValidateWorld();

const SEE = "(fix: see mlops.config.schema.json and .env.example)";
const LABELS = "[verde, pinton, maduro, sobremaduro, hoja]";

interface ConfigCase {
  name: string;
  /** The config file: an object, or raw text. */
  config: unknown;
  env?: Record<string, string>;
  /** The error after "error: ", with FILE for the config's path. */
  error: string;
}

const CASES: ConfigCase[] = [
  {
    name: "a typo (quality.checks.minBlurVarience)",
    config: { quality: { checks: { minBlurVarience: 40 } } },
    error: `invalid configuration:\nFILE: quality.checks.minBlurVarience: is not a setting (fix: did you mean "minBlurVariance"? rename the key)\n${SEE}`,
  },
  {
    name: "a setting in snake case (quality.checks.min_blur_variance)",
    config: { quality: { checks: { min_blur_variance: 40 } } },
    error: `invalid configuration:\nFILE: quality.checks.min_blur_variance: is not a setting (fix: did you mean "minBlurVariance"? rename the key)\n${SEE}`,
  },
  {
    name: "an unknown top-level setting",
    config: { colour: "green" },
    error: `invalid configuration:\nFILE: colour: is not a setting (fix: remove it; the settings here are $schema, model_name, labels, paths, artifacts_uri, quality, training, policy, analyst, notify, s3, storage, github, git)\n${SEE}`,
  },
  {
    name: "min above max (quality.checks.minWidth > maxWidth)",
    config: { quality: { checks: { minWidth: 4000, maxWidth: 100 } } },
    error: `invalid configuration:\nFILE: quality.checks.minWidth: is 4000, more than maxWidth (100); it must not exceed it (fix: lower minWidth or raise maxWidth)\n${SEE}`,
  },
  {
    name: "duplicate labels",
    config: { labels: ["verde", "maduro", "verde"] },
    error: `invalid configuration:\nFILE: labels.2: "verde" is listed twice (fix: list each class once)\n${SEE}`,
  },
  {
    name: "an uppercase label",
    config: { labels: ["Verde", "maduro"] },
    error: `invalid configuration:\nFILE: labels.0: expected a lowercase class name (fix: use a-z, 0-9 and '_', e.g. "maduro")\n${SEE}`,
  },
  {
    name: "an https:// artifacts_uri",
    config: { artifacts_uri: "https://example.com/artifacts" },
    error: `invalid configuration:\nFILE: artifacts_uri: "https://example.com/artifacts" must start with file:/// or s3://<bucket> (fix: use "s3://bucket/prefix", "file:///absolute/folder" or a folder path such as ".mlops/artifacts")\n${SEE}`,
  },
  {
    name: "an ftp:// S3 endpoint",
    config: { s3: { endpoint: "ftp://store.example.com" } },
    error: `invalid configuration:\nFILE: s3.endpoint: expected an http:// or https:// URL (fix: e.g. https://objectstorage.example.com)\n${SEE}`,
  },
  {
    name: "zero S3 attempts",
    config: { s3: { max_attempts: 0 } },
    error: `invalid configuration:\nFILE: s3.max_attempts: Too small: expected number to be >=1 (fix: see s3.max_attempts in mlops.config.schema.json)\n${SEE}`,
  },
  {
    name: "a threshold above 10",
    config: { quality: { threshold: 11 } },
    error: `invalid configuration:\nFILE: quality.threshold: Too big: expected number to be <=10 (fix: see quality.threshold in mlops.config.schema.json)\n${SEE}`,
  },
  {
    name: "a critical class that is not a label",
    config: { policy: { critical_class: "podrido" } },
    error: `FILE: policy.critical_class "podrido" is not one of labels ${LABELS} (fix: name one of the labels)`,
  },
  {
    name: "a repeated key in mlops.config.json",
    config: '{\n  "quality": { "threshold": 7 },\n  "quality": { "threshold": 0 }\n}\n',
    error:
      'FILE: quality: the key "quality" appears twice (lines 2 and 3); JSON keeps only the last value (fix: keep one of them and delete the other)',
  },
  {
    name: "a repeated nested key in mlops.config.json",
    config: '{\n  "quality": {\n    "threshold": 7,\n    "threshold": 0\n  }\n}\n',
    error:
      'FILE: quality.threshold: the key "threshold" appears twice (lines 3 and 4); JSON keeps only the last value (fix: keep one of them and delete the other)',
  },
  {
    name: "invalid JSON",
    config: '{"quality": {"threshold": 7,}}',
    error: "FILE: not valid JSON: Expected double-quoted property name in JSON at position 28",
  },
  {
    name: "an array instead of an object",
    config: "[1, 2]",
    error:
      "FILE: (root): expected a JSON object, received an array (fix: see mlops.config.schema.json)",
  },
  {
    name: "an environment override that is not a number",
    config: {},
    env: { MLOPS_QUALITY_THRESHOLD: "seven" },
    error:
      'environment variable MLOPS_QUALITY_THRESHOLD="seven" is not a number (fix: e.g. MLOPS_QUALITY_THRESHOLD=7.0)',
  },
  {
    name: "an environment override out of range",
    config: {},
    env: { MLOPS_QUALITY_THRESHOLD: "12" },
    error: `invalid configuration:\nenvironment variable MLOPS_QUALITY_THRESHOLD: quality.threshold: Too big: expected number to be <=10 (fix: see quality.threshold in mlops.config.schema.json)\n${SEE}`,
  },
  {
    name: "an environment override that is not an http(s) endpoint",
    config: {},
    env: { MLOPS_S3_ENDPOINT: "file:///etc" },
    error: `invalid configuration:\nenvironment variable MLOPS_S3_ENDPOINT: s3.endpoint: expected an http:// or https:// URL (fix: e.g. https://objectstorage.example.com)\n${SEE}`,
  },
];

describe("configuration faults through npm run validate", () => {
  it.each(CASES.map((c) => [c.name, c] as const))(
    "%s: exit 1 naming the setting and the fix, before anything is read",
    async (name, c) => {
      const before = await w.repoState();
      const slug = name.replace(/\W+/g, "-");
      const config = await w.configFile(slug, c.config);
      const manifest = await w.manifest("good", w.good);
      const out = w.out(`config-${slug}`);
      const run = await w.validate(manifest, out, { config, env: c.env, limitMs: 20_000 });

      expect(run.code, run.out).toBe(1);
      expect(run.out).toContain(`error: ${c.error.replaceAll("FILE", config)}\n`);
      expect(run.out).not.toMatch(/validate_data|quality_score/);
      expect(existsSync(out)).toBe(false);
      expect(await w.repoState()).toBe(before);
    },
    30_000,
  );
});
