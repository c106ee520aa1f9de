/**
 * The analysis judges each model as the app runs it: its shipped .tflite in LiteRT. Three
 * tiny runs through the real graph on a scratch repository:
 * 1. a first model, judged as its shipped file;
 * 2. an artificial difference: between training and analysis the candidate's shipped file
 *    is replaced by one whose head always names a class its TF.js model rarely predicts,
 *    with its labels.txt in reverse order. The analysis' candidate metrics are that file's
 *    in LiteRT (run here independently, with the training path's preprocessing), the report
 *    shows the file beside TF.js, and production's metrics are its own shipped file's;
 * 3. an old production whose artifact has no .tflite: judged as TF.js, and the analysis and
 *    the report say so.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { afterAll, describe, expect, it } from "vitest";
import { runPipeline, type RunResult } from "../../app/pipeline.ts";
import { type LabeledImage } from "../../lib/dataset.ts";
import { argmax, computeMetrics, toLabelIndices } from "../../lib/metrics.ts";
import { readManifest } from "../../lib/manifest-file.ts";
import { createScratchRepo, type ScratchRepo } from "../../synth/scratch-repo.ts";
import { synthesizeDataset } from "../../synth/dataset.ts";
import { loadModel } from "../../worker/evaluate.ts";
import { describePreprocessing } from "../../worker/images.ts";
import { openTflite } from "../../worker/tflite/litert.ts";
import { readTflite } from "../../worker/tflite/reader.ts";
import { evalSetFromImages } from "../../worker/tflite/verify.ts";
import { writeTflite } from "../../worker/tflite/writer.ts";
import { tinyTraining } from "../helpers/tiny-config.ts";

const SIZE = 32;
let workspace: string | undefined;
afterAll(async () => {
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

/** A .tflite's predicted classes (by its own labels.txt) on `images`, run here in LiteRT. */
async function liteRtClasses(file: string, images: LabeledImage[]): Promise<string[]> {
  const bytes = new Uint8Array(await readFile(file));
  const names = readTflite(bytes).labels!;
  const session = await openTflite(bytes);
  try {
    const { inputs } = await evalSetFromImages(images, names, SIZE);
    const out: string[] = [];
    for (const image of inputs) out.push(names[argmax((await session.run({ image })).logits!)]!);
    return out;
  } finally {
    session.close();
  }
}

/**
 * A .tflite of the candidate's own network whose head names `cls` for every image: zero
 * weights, one bias. Its labels.txt lists the classes in reverse, the head permuted to match.
 */
async function alwaysFile(modelDir: string, labels: string[], cls: string): Promise<Uint8Array> {
  const model = await loadModel(modelDir);
  try {
    const head = model.layers.at(-1)!;
    const [kernel, bias] = head.getWeights();
    const reversed = [...labels].reverse();
    const b = reversed.map((l) => (l === cls ? 10 : 0));
    head.setWeights([tf.zerosLike(kernel!), tf.tensor1d(b, bias!.dtype as "float32")]);
    return writeTflite(model, {
      labels: reversed,
      preprocessing: describePreprocessing(SIZE),
      variant: "float32",
    });
  } finally {
    model.dispose();
  }
}

async function batch(scratch: ScratchRepo, farm: string, seed: number): Promise<string> {
  const m = await synthesizeDataset({
    outDir: scratch.bucket,
    prefix: `batches/${farm}`,
    datasetId: farm,
    kind: "training",
    perClass: 8,
    seed,
  });
  const path = `data-manifests/${farm}.json`;
  await scratch.commitManifest(path, m, `Add ${farm}`);
  return path;
}

const analysisOf = async (r: RunResult) =>
  JSON.parse(await readFile(join(r.runDir, "analysis", "analysis.json"), "utf8"));

describe("judged as shipped", () => {
  it("compares the shipped .tflite files' predictions, and says when a model is judged as TF.js", async () => {
    workspace = await mkdtemp(join(tmpdir(), "mlops-shipped-"));
    const configure = (c: Record<string, unknown>) => {
      const t = tinyTraining(c);
      return { ...t, policy: { ...(t.policy as object), slices: { min_images: 5 } } };
    };
    const scratch = await createScratchRepo({ workspace, evalPerClass: 4, configure });
    const cfg = scratch.config();
    const labels = cfg.labels;
    const evalManifest = await readManifest(join(scratch.repo, cfg.paths.eval_manifest));
    const images: LabeledImage[] = evalManifest.images.map((i) => ({
      path: join(scratch.bucket, i.key),
      label: i.label,
      sha256: i.sha256,
    }));
    const truth = toLabelIndices(images, labels);
    const metricsOf = (classes: string[]) =>
      computeMetrics(
        truth,
        classes.map((c) => labels.indexOf(c)),
        labels,
      );

    // 1. The first model: judged as its shipped file, tagged slices listed.
    await batch(scratch, "farm-a", 2001);
    const first = await runPipeline({ repoDir: scratch.repo, config: cfg });
    expect(first.state.deployment_decision).toBe("HUMAN_REVIEW");
    const v1File = first.state.tflite!.shipped!.file;
    expect(first.state.judged_as_shipped?.candidate).toMatchObject({
      source: "tflite",
      file: "mango_model_v1.tflite",
      variant: "float32",
      fallback: null,
    });
    const v1Classes = await liteRtClasses(v1File, images);
    expect(first.state.candidate_metrics).toEqual(metricsOf(v1Classes));
    expect(first.state.slices?.rows.map((r) => r.key)).toContain("lighting");
    expect((await analysisOf(first)).judged_as_shipped.candidate.source).toBe("tflite");
    await scratch.git("merge", "-q", "--no-ff", "-m", "reviewed", first.state.promotion!.branch);

    // 2. The artificial difference: the shipped file swapped between training and analysis.
    await batch(scratch, "farm-b", 3001);
    const paused = await runPipeline({
      repoDir: scratch.repo,
      config: cfg,
      stopBefore: "analyze_performance",
    });
    expect(paused.outcome).toBe("paused");
    const s = paused.state;
    const tfjs = JSON.parse(
      await readFile(join(s.candidate_model_path!, "..", "predictions.json"), "utf8"),
    ) as { predictions: number[] };
    // The class TF.js predicts least (not the middle one, which the reversal keeps in place).
    const counts = labels.map((_, k) => tfjs.predictions.filter((p) => p === k).length);
    const rare = labels
      .map((l, k) => ({ l, n: counts[k]! }))
      .filter((x) => x.l !== labels[(labels.length - 1) / 2])
      .sort((a, b) => a.n - b.n)[0]!.l;
    const shipped = s.tflite!.shipped!.file;
    await writeFile(shipped, await alwaysFile(s.candidate_model_path!, labels, rare));
    const second = await runPipeline({ repoDir: scratch.repo, config: cfg, resume: paused.runId });
    const a2 = await analysisOf(second);
    const swapped = await liteRtClasses(shipped, images);
    expect(new Set(swapped)).toEqual(new Set([rare]));
    // What the analysis compared is the file in LiteRT, classes mapped by name.
    expect(a2.candidate).toEqual(metricsOf(swapped));
    expect(second.state.candidate_metrics).toEqual(metricsOf(swapped));
    expect(a2.production).toEqual(metricsOf(v1Classes));
    const differing = tfjs.predictions.filter((p) => labels[p] !== rare).length;
    expect(differing).toBeGreaterThan(images.length / 2);
    expect(a2.judged_as_shipped.candidate).toMatchObject({
      source: "tflite",
      file: "mango_model_v2.tflite",
      differing,
      tflite: { accuracy: metricsOf(swapped).accuracy },
    });
    expect(a2.judged_as_shipped.candidate.tfjs.accuracy).toBeCloseTo(
      computeMetrics(truth, tfjs.predictions, labels).accuracy,
      12,
    );
    expect(a2.judged_as_shipped.production).toMatchObject({ source: "tflite", differing: 0 });
    expect(a2.candidate_predictions).toBe("predictions.json from training");
    expect(a2.final.decision).toBe(second.state.deployment_decision);
    const report2 = await readFile(second.reportPath, "utf8");
    expect(report2.match(/^## Shipped file vs TF\.js$/gm)).toHaveLength(1);
    expect(report2).toContain(`| v2 | \`mango_model_v2.tflite\` |`);
    expect(report2.match(/^## Slices$/gm)).toHaveLength(1);

    // 3. An old production: its artifact has no .tflite.
    const pointerPath = join(scratch.repo, "models", cfg.model_name, "production.json");
    const pointer = JSON.parse(await readFile(pointerPath, "utf8"));
    pointer.artifact.files = pointer.artifact.files.filter(
      (f: { name: string }) => !f.name.endsWith(".tflite"),
    );
    pointer.artifact.format = "tfjs-layers";
    await writeFile(pointerPath, JSON.stringify(pointer, null, 2) + "\n");
    await scratch.git("commit", "-q", "-am", "An old production, from before the .tflite");
    await batch(scratch, "farm-c", 5001);
    const third = await runPipeline({ repoDir: scratch.repo, config: cfg });
    const a3 = await analysisOf(third);
    expect(a3.judged_as_shipped.production).toMatchObject({
      source: "tfjs",
      file: null,
      fallback: "production judged as TF.js model: no .tflite in its artifact",
      tflite: null,
    });
    expect(a3.production.accuracy).toBe(a3.judged_as_shipped.production.tfjs.accuracy);
    // The candidate itself, untouched this time, is its float32 file: as TF.js, image by image.
    const v3Classes = await liteRtClasses(third.state.tflite!.shipped!.file, images);
    expect(a3.candidate).toEqual(metricsOf(v3Classes));
    expect(a3.judged_as_shipped.candidate).toMatchObject({ source: "tflite", differing: 0 });
    const report3 = await readFile(third.reportPath, "utf8");
    expect(report3).toContain(
      "**production judged as TF\\.js model\\: no \\.tflite in its artifact.**",
    );
    expect(report3).not.toMatch(/Shipped file vs TF\.js/);
  }, 420_000);
});
