/** `npm run train` as a user runs it: manifests in, a model and its metrics out. */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { stringifyManifest } from "../../lib/manifest.ts";
import { synthesizeDataset } from "../../synth/dataset.ts";
import { parseTrainArgs } from "../../cli/train.ts";

const exec = promisify(execFile);
const projectDir = resolve(import.meta.dirname, "../..");
let dir: string;
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe("npm run train", () => {
  it("trains on a manifest and writes the model, metrics and log", async () => {
    dir = await mkdtemp(join(tmpdir(), "mlops-train-cli-"));
    const classes = ["verde", "maduro"];
    const train = await synthesizeDataset({
      outDir: join(dir, "bucket"),
      prefix: "t",
      datasetId: "t",
      kind: "training",
      perClass: 6,
      seed: 3,
      classes,
    });
    const evaluation = await synthesizeDataset({
      outDir: join(dir, "bucket"),
      prefix: "e",
      datasetId: "e",
      kind: "evaluation",
      perClass: 3,
      seed: 4,
      classes,
    });
    await writeFile(join(dir, "train.json"), stringifyManifest(train));
    await writeFile(join(dir, "eval.json"), stringifyManifest(evaluation));
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({
        labels: classes,
        policy: { critical_class: "maduro" },
        training: { input_size: 32, epochs: 1, batch_size: 8 },
      }),
    );
    const { stdout } = await exec(
      process.execPath,
      [
        "--import",
        "tsx",
        join(projectDir, "cli/train.ts"),
        "--manifest",
        join(dir, "train.json"),
        "--eval",
        join(dir, "eval.json"),
        "--out",
        join(dir, "out"),
        "--config",
        join(dir, "config.json"),
        "--cache",
        join(dir, "cache"),
      ],
      { cwd: projectDir, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" } },
    );
    expect(stdout).toMatch(/epoch 1: loss/);
    expect(stdout).toMatch(/on 6 evaluation images/);
    for (const f of ["tfjs/model.json", "metrics.json", "training-log.jsonl", "predictions.json"])
      expect(existsSync(join(dir, "out", f))).toBe(true);
    const metrics = JSON.parse(await readFile(join(dir, "out", "metrics.json"), "utf8"));
    expect(metrics.confusion_matrix.labels).toEqual(classes);
    expect(metrics.n).toBe(6);
  }, 120_000);

  it("names a missing flag and shows the usage", () => {
    expect(() => parseTrainArgs(["--manifest", "m.json"])).toThrow(
      /--eval is required\nusage: npm run train/,
    );
    expect(() => parseTrainArgs(["--bogus", "x"])).toThrow(/unknown option "--bogus"/);
  });
});
