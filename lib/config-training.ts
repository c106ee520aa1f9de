/**
 * The `training` section of the configuration (config.ts): the DL worker's
 * hyper-parameters and its training-time augmentation, each with its default.
 */
import { z } from "zod";
import { inOrder } from "./config-checks.ts";

/**
 * Training-time augmentation: one affine warp (crop, mirror, rotation) plus brightness and
 * contrast. No hue or saturation jitter: colour is what tells ripe from unripe.
 */
export const AugmentSchema = z.strictObject({
  /** Mirror left-right with probability 1/2. */
  flip: z.boolean().default(true),
  /** Largest rotation either way, in degrees. */
  rotation_deg: z.number().min(0).max(180).default(15),
  /** Smallest share of the image area a random crop keeps (1 = no crop). */
  min_crop_area: z.number().gt(0).max(1).default(0.8),
  /** Largest aspect-ratio change of the crop, as a factor (1 = square only). */
  max_aspect: z
    .number()
    .min(1)
    .default(4 / 3),
  /** Largest brightness shift either way, as a share of the full range. */
  brightness: z.number().min(0).max(1).default(0.1),
  /** Largest contrast change either way, as a factor offset (0.2: x0.8 to x1.2). */
  contrast: z.number().min(0).lt(1).default(0.2),
});

const TrainingFields = z.strictObject({
  alpha: z.number().positive().max(1.4).default(0.35),
  input_size: z.number().int().min(32).max(224).default(96),
  batch_size: z.number().int().min(1).max(512).default(32),
  /** Maximum epochs; early stopping may end sooner. */
  epochs: z.number().int().min(1).max(500).default(50),
  /** Adam's peak learning rate. */
  learning_rate: z.number().positive().max(1).default(0.002),
  /** "cosine": linear warm-up then cosine decay to 0 at `epochs`; "constant": `learning_rate` throughout. */
  lr_schedule: z.enum(["cosine", "constant"]).default("cosine"),
  warmup_epochs: z.number().min(0).default(1),
  /** Epochs without a new best validation loss before training stops. */
  patience: z.number().int().min(1).default(12),
  seed: z.number().int().default(42),
  /**
   * false (the default: on the real photos it trained better without, see worker/README.md)
   * or an object of strengths, `{}` for the milder defaults of each field.
   */
  augment: z.union([z.literal(false), AugmentSchema]).default(false),
  /** Weight the loss by inverse class frequency. */
  class_weights: z.boolean().default(true),
  /** Label smoothing of the targets, in [0, 1). */
  label_smoothing: z.number().min(0).lt(1).default(0),
  /** Dropout before the classifier. */
  dropout: z.number().min(0).lt(1).default(0.2),
  /** Mixup's Beta(alpha, alpha) parameter (images blended in pairs, targets alike); 0 = off. */
  mixup: z.number().min(0).max(10).default(0),
  /** Decay of an exponential moving average of the weights (validated and kept instead of the raw ones); 0 = off. */
  ema_decay: z.number().min(0).lt(1).default(0),
  /**
   * Data-parallel replicas: each batch is split over this many worker threads, one core
   * each, BatchNorm statistics taken per replica. "auto": 2 on a CPU with 2 cores or more
   * (the ablation's setting) when that leaves each replica 16 images of a batch, else 1;
   * 1 on a GPU.
   */
  replicas: z.union([z.literal("auto"), z.number().int().min(1).max(64)]).default("auto"),
  /**
   * Where training runs: "cpu" (tfjs-node), "gpu" (tfjs-node-gpu; an error when no GPU is
   * found) or "auto" (the GPU build when it is installed and sees a GPU, else the CPU).
   */
  device: z.enum(["auto", "cpu", "gpu"]).default("auto"),
});

/**
 * Hyper-parameters of the DL worker; worker/README.md has the ablation behind each default.
 * The warm-up is part of the epochs: a longer one would never reach the peak learning rate.
 */
export const TrainingSchema = TrainingFields.superRefine(inOrder([["warmup_epochs", "epochs"]]));
export type TrainingSettings = z.infer<typeof TrainingSchema>;
