/**
 * The DL worker in this process, as the graph's `Trainer` service: MobileNetV2 on
 * tfjs-node's native backend. The worker's modules load on first use, so a run that never
 * trains (no new data, a refused batch) never loads TensorFlow. The full-integer .tflite is
 * calibrated on a seeded, class-stratified sample of the images the model was trained on.
 */
import type { MlopsConfig } from "../lib/config.ts";
import type { Trainer } from "../graph/services.ts";
import type { TfliteSummary } from "../graph/state.ts";
import { trainConfigOf } from "../worker/settings.ts";
import type { ExportResult } from "../worker/tflite/export.ts";

/** The DL worker in this process: MobileNetV2 on tfjs-node's native backend. */
export function createLocalTrainer(config: MlopsConfig): Trainer {
  const t = config.training;
  return {
    async train(job) {
      const { trainModel } = await import("../worker/train.ts");
      return trainModel({
        ...job,
        config: trainConfigOf(config.training),
      });
    },
    async exportTflite(job) {
      const { exportVariants } = await import("../worker/tflite/export.ts");
      const { evalSetFromImages } = await import("../worker/tflite/verify.ts");
      const { describePreprocessing } = await import("../worker/images.ts");
      const p = config.policy.tflite;
      const loose = {
        minArgmaxAgreement: p.int8_min_argmax_agreement,
        maxAccuracyDrop: p.int8_max_accuracy_drop,
      };
      const { calibrationSample } = await import("../worker/tflite/calibrate.ts");
      // Without training images int8_full says so and is not written.
      const sample = calibrationSample(job.training, undefined, t.seed);
      const result = await exportVariants({
        model: job.modelDir,
        outDir: job.outDir,
        version: job.version,
        labels: job.labels,
        preprocessing: describePreprocessing(t.input_size),
        evalSet: await evalSetFromImages(job.evaluation, job.labels, t.input_size),
        ...(sample.length
          ? { calibration: (await evalSetFromImages(sample, job.labels, t.input_size)).inputs }
          : {}),
        gates: {
          float32: { maxLogitDiff: p.float32_max_logit_diff, minArgmaxAgreement: 1 },
          float16: loose,
          int8: loose,
          int8_full: {
            minArgmaxAgreement: p.int8_full_min_argmax_agreement,
            maxAccuracyDrop: p.int8_full_max_accuracy_drop,
          },
        },
        ship: p.ship,
        modelInfo: {
          architecture: "MobileNetV2",
          alpha: t.alpha,
          input_size: t.input_size,
          run_id: job.runId,
        },
      });
      return summarizeTfliteExport(p.ship, result);
    },
    async evaluate(modelDir, images, labels) {
      const { evaluateModel } = await import("../worker/evaluate.ts");
      const out = await evaluateModel(modelDir, images, labels, t.input_size, t.batch_size);
      return { metrics: out.metrics, predictions: out.predictions };
    },
    async evaluateTflite(file, images, labels) {
      const { evaluateTfliteFile } = await import("../worker/tflite-eval.ts");
      return evaluateTfliteFile(file, images, labels);
    },
  };
}

/** The small, JSON-able form of an export result that the state and the report carry. */
export function summarizeTfliteExport(ship: string, result: ExportResult): TfliteSummary {
  const n = (x: number | undefined) => (x === undefined ? null : x);
  return {
    ship,
    shipped: result.shipped ?? null,
    variants: result.variants.map((v) => ({
      variant: v.variant,
      file: v.file ?? null,
      bytes: n(v.verification?.bytes),
      max_logit_diff: n(v.verification?.max_logit_diff),
      argmax_agreement: n(v.verification?.argmax_agreement),
      accuracy: n(v.verification?.accuracy),
      macro_f1: n(v.verification?.macro_f1),
      median_latency_ms: n(v.verification?.median_latency_ms),
      export_ms: Math.round(v.export_ms),
      candidate: v.candidate,
      reasons: v.reasons,
    })),
  };
}
