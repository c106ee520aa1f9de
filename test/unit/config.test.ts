/**
 * The pipeline's configuration: defaults, the committed mlops.config.json, environment
 * overrides, and errors that name the file or variable and the field at fault; a key the
 * file repeats is refused. The strict rules of each field are config-strict.test.ts.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, ConfigSchema, loadConfig, parseConfig } from "../../lib/config.ts";
import { ENV_OVERRIDES } from "../../lib/config-env.ts";

const REPO = resolve(import.meta.dirname, "../..");

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

describe("parseConfig", () => {
  it("gives the documented defaults for an empty file", () => {
    const config = parseConfig({});
    expect(config.model_name).toBe("mango-ripeness");
    expect(config.labels).toEqual(["verde", "pinton", "maduro", "sobremaduro", "hoja"]);
    expect(config.quality.threshold).toBe(7.0);
    expect(config.paths.eval_manifest).toBe("data-manifests/eval/evaluation.json");
    expect(config.policy.critical_class).toBe("maduro");
    expect(config.policy.bootstrap_decision).toBe("HUMAN_REVIEW");
    // The recipe worker/README.md's ablation chose on the real photos.
    expect(config.training).toMatchObject({
      epochs: 50,
      patience: 12,
      augment: false,
      label_smoothing: 0,
      ema_decay: 0,
      mixup: 0,
      replicas: "auto",
      device: "auto",
    });
    // The file as shipped says the same.
    expect(loadConfig(join(REPO, "mlops.config.json")).training).toEqual(config.training);
    expect(config.s3).toEqual({
      region: "us-east-1",
      force_path_style: false,
      connect_timeout_ms: 10_000,
      request_timeout_ms: 60_000,
      max_attempts: 3,
    });
    expect(config.storage).toEqual({
      file_roots: [],
      max_object_bytes: 64 * 1024 * 1024,
      file_timeout_ms: 30_000,
    });
    expect(parseConfig(undefined)).toEqual(config);
  });

  it("keeps what the file sets and fills the rest of the same section with defaults", () => {
    const config = parseConfig({ training: { epochs: 30 } });
    expect(config.training).toEqual({ ...parseConfig({}).training, epochs: 30 });
  });

  it("names the file and the field of a bad value", () => {
    const err = configError(() =>
      parseConfig({ quality: { threshold: 11 } }, {}, "repo/mlops.config.json"),
    );
    expect(err.message).toContain("repo/mlops.config.json: quality.threshold:");
    expect(err.message).toContain("mlops.config.schema.json");
  });

  it("names every bad field, not only the first", () => {
    const err = configError(() =>
      parseConfig({ model_name: "Mango Ripeness", training: { batch_size: 0 } }),
    );
    expect(err.message).toContain("mlops.config.json: model_name:");
    expect(err.message).toContain("mlops.config.json: training.batch_size:");
  });

  it("refuses a critical class that is not one of the labels", () => {
    const err = configError(() => parseConfig({ policy: { critical_class: "rojo" } }));
    expect(err.message).toBe(
      'mlops.config.json: policy.critical_class "rojo" is not one of labels [verde, pinton, maduro, sobremaduro, hoja] (fix: name one of the labels)',
    );
  });

  it("refuses the default critical class once the labels no longer include it", () => {
    const err = configError(() => parseConfig({ labels: ["verde", "hoja"] }));
    expect(err.message).toContain(
      'policy.critical_class "maduro" is not one of labels [verde, hoja]',
    );
  });
});

describe("environment overrides", () => {
  it("win over the file, parsed to the field's type", () => {
    const config = parseConfig(
      { quality: { threshold: 7.0 }, training: { epochs: 12 }, s3: { region: "eu-west-1" } },
      {
        MLOPS_QUALITY_THRESHOLD: "8.5",
        MLOPS_EPOCHS: "3",
        AWS_REGION: "sa-east-1",
        MLOPS_S3_FORCE_PATH_STYLE: "true",
        MLOPS_S3_ENDPOINT: "http://127.0.0.1:9000",
      },
    );
    expect(config.quality.threshold).toBe(8.5);
    expect(config.training.epochs).toBe(3);
    expect(config.s3).toEqual({
      region: "sa-east-1",
      endpoint: "http://127.0.0.1:9000",
      force_path_style: true,
      connect_timeout_ms: 10_000,
      request_timeout_ms: 60_000,
      max_attempts: 3,
    });
  });

  it("pick the training device, and a device that does not exist is an error naming the choices", () => {
    expect(parseConfig({}, {}).training.device).toBe("auto");
    expect(
      parseConfig({ training: { device: "cpu" } }, { MLOPS_TRAIN_DEVICE: "gpu" }).training.device,
    ).toBe("gpu");
    expect(configError(() => parseConfig({}, { MLOPS_TRAIN_DEVICE: "tpu" })).message).toMatch(
      /training\.device.*"auto".*"cpu".*"gpu"|training\.device.*auto.*cpu.*gpu/s,
    );
  });

  it("are ignored when empty, as a copied .env.example leaves them", () => {
    const empty = Object.fromEntries(Object.keys(ENV_OVERRIDES).map((name) => [name, ""]));
    expect(parseConfig({ training: { epochs: 5 } }, empty)).toEqual(
      parseConfig({ training: { epochs: 5 } }),
    );
  });

  it("every one of them sets a field the schema has", () => {
    for (const [name, spec] of Object.entries(ENV_OVERRIDES)) {
      const shape = spec.field.split(".").reduce<any>((schema, key) => {
        const inner = schema?.def?.innerType ?? schema;
        return inner?.shape?.[key];
      }, ConfigSchema);
      expect(shape, `${name} -> ${spec.field}`).toBeDefined();
    }
  });

  it("name the variable when its value is not a number", () => {
    const err = configError(() => parseConfig({}, { MLOPS_EPOCHS: "twelve" }));
    expect(err.message).toBe(
      'environment variable MLOPS_EPOCHS="twelve" is not a number (fix: e.g. MLOPS_EPOCHS=7.0)',
    );
  });

  it("name the variable when its value is not a boolean", () => {
    const err = configError(() => parseConfig({}, { MLOPS_S3_FORCE_PATH_STYLE: "maybe" }));
    expect(err.message).toContain("environment variable MLOPS_S3_FORCE_PATH_STYLE");
  });

  it("name the variable, not the file, when the value is out of range", () => {
    const err = configError(() =>
      parseConfig({}, { MLOPS_QUALITY_THRESHOLD: "70" }, "mlops.config.json"),
    );
    expect(err.message).toContain(
      "environment variable MLOPS_QUALITY_THRESHOLD: quality.threshold:",
    );
    expect(err.message).not.toContain("mlops.config.json: quality.threshold");
  });

  it("name the variable when a string value breaks the field's format", () => {
    const err = configError(() => parseConfig({}, { MLOPS_S3_ENDPOINT: "not a url" }));
    expect(err.message).toContain("environment variable MLOPS_S3_ENDPOINT: s3.endpoint:");
  });
});

describe("loadConfig", () => {
  const temps: string[] = [];
  afterAll(async () => {
    await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
  });

  it("loads the committed mlops.config.json, which spells out the defaults", () => {
    const config = loadConfig(join(REPO, "mlops.config.json"), {});
    const { $schema, ...rest } = config;
    expect($schema).toBe("./mlops.config.schema.json");
    expect(rest).toEqual(ConfigSchema.parse({}));
  });

  it("names the file when it is not valid JSON", async () => {
    const dir = await mkdtemp(join(tmpdir(), "config-test-"));
    temps.push(dir);
    const path = join(dir, "mlops.config.json");
    await writeFile(path, '{ "model_name": "mango-ripeness", }');
    const err = configError(() => loadConfig(path, {}));
    expect(err.message).toMatch(
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not valid JSON`),
    );
    expect(err.cause).toBeInstanceOf(SyntaxError);
  });

  it("refuses a repeated key, naming the file, the field, both lines and the fix", async () => {
    const dir = await mkdtemp(join(tmpdir(), "config-test-"));
    temps.push(dir);
    const path = join(dir, "mlops.config.json");
    await writeFile(
      path,
      '{\n  "quality": {\n    "threshold": 7.0,\n    "threshold": 2.0\n  },\n  "artifacts_uri": "a",\n  "artifacts_uri": "b"\n}\n',
    );
    expect(configError(() => loadConfig(path, {})).message).toBe(
      [
        `${path}: quality.threshold: the key "threshold" appears twice (lines 3 and 4); JSON keeps only the last value (fix: keep one of them and delete the other)`,
        `${path}: artifacts_uri: the key "artifacts_uri" appears twice (lines 6 and 7); JSON keeps only the last value (fix: keep one of them and delete the other)`,
      ].join("\n"),
    );
  });

  it("names the file's path when a value in it is bad", async () => {
    const dir = await mkdtemp(join(tmpdir(), "config-test-"));
    temps.push(dir);
    const path = join(dir, "mlops.config.json");
    await writeFile(path, JSON.stringify({ training: { epochs: 0 } }));
    expect(configError(() => loadConfig(path, {})).message).toContain(`${path}: training.epochs:`);
  });
});
