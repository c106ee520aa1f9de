/**
 * The config file's `training` section (snake_case, validated by lib/config.ts) as the
 * worker's TrainConfig: the one mapping that `npm run train`, the pipeline's trainer and
 * the benchmarks share, so they train with the same settings.
 */
import type { TrainingSettings } from "../lib/config-training.ts";
import type { TrainConfig } from "./types.ts";

export function trainConfigOf(t: TrainingSettings): TrainConfig {
  const a = t.augment;
  return {
    alpha: t.alpha,
    inputSize: t.input_size,
    batchSize: t.batch_size,
    epochs: t.epochs,
    learningRate: t.learning_rate,
    lrSchedule: t.lr_schedule,
    warmupEpochs: t.warmup_epochs,
    patience: t.patience,
    seed: t.seed,
    augment:
      a === false
        ? false
        : {
            flip: a.flip,
            rotationDeg: a.rotation_deg,
            minCropArea: a.min_crop_area,
            maxAspect: a.max_aspect,
            brightness: a.brightness,
            contrast: a.contrast,
          },
    classWeights: t.class_weights,
    labelSmoothing: t.label_smoothing,
    dropout: t.dropout,
    emaDecay: t.ema_decay,
    mixup: t.mixup,
    device: t.device,
    replicas: t.replicas,
  };
}
