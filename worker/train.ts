/**
 * The run_training_job's real work: trains MobileNetV2 from scratch on labelled image
 * files, keeps the weights of the epoch with the best validation loss, scores them on the
 * frozen evaluation set and writes the artifacts the rest of the pipeline reads:
 *
 *   outDir/tfjs/               model.json + weights.bin (`loadModel`)
 *   outDir/training-log.jsonl  one EpochLog per line, appended as epochs finish
 *   outDir/metrics.json        evaluation metrics + labels, config, backend, history, sizes
 *   outDir/predictions.json    {labels, keys (sha256), predictions, probabilities}
 *   outDir/training-curves.svg, outDir/confusion-matrix.svg   charts for the report
 *
 * Training batches are augmented (augment.ts), the loss is weighted by inverse class
 * frequency (class-weights.ts) and the learning rate follows a warm-up + cosine schedule
 * (schedule.ts) set on Adam before every step. Everything random (initial weights,
 * validation split, shuffling, dropout, augmentation) follows `config.seed`. Decoded
 * training images stay in memory as inputSize² RGB bytes (27 KB each at 96 px), so each
 * epoch costs only the network and the augmentation, not JPEG decoding.
 *
 * The steps run as fused TensorFlow kernels (fused-mobilenet.ts) on the device that
 * `config.device` asks for (backend.ts); metrics.json names the device that ran.
 *
 * The request's checks are train-check.ts, the batches cut into replica shares
 * train-shares.ts, and what the run writes at the end train-artifacts.ts.
 */
import { appendFile, mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { resolveAugment } from "./augment.ts";
import { describeBackend, deviceFromEnv, ensureNativeBackend } from "./backend.ts";
import { batchTensors, probabilitiesOf, recalibrationBatches } from "./batch.ts";
import { autoReplicas, ReplicaPool } from "./parallel.ts";
import { classCounts, inverseFrequencyWeights } from "./class-weights.ts";
import { FusedMobileNetV2 } from "./fused-mobilenet.ts";
import { decodeImages } from "./images.ts";
import { argmax, crossEntropy, toLabelIndices } from "../lib/metrics.ts";
import { buildMobileNetV2 } from "./mobilenet-v2.ts";
import { learningRateAt, planSchedule } from "./schedule.ts";
import { mulberry32, shuffled, stratifiedSplit } from "./split.ts";
import { writeArtifacts } from "./train-artifacts.ts";
import { checkRequest } from "./train-check.ts";
import { batchShares, type ShareSource, warmUp } from "./train-shares.ts";
import type { EpochLog, TrainConfig, TrainResult } from "./types.ts";
import type { LabeledImage } from "../lib/dataset.ts";
import { TRAINING_FILES } from "../lib/run-folder.ts";

/** One progress report: the epoch just finished and the time left if no early stop. */
export type ProgressLine = EpochLog & { eta_s: number };

/** Inputs of `trainModel`. */
export interface TrainRequest {
  train: LabeledImage[];
  /** May be empty: a stratified 10% of `train` is then held out. */
  val: LabeledImage[];
  /** The frozen evaluation set the metrics are computed on. */
  evaluation: LabeledImage[];
  /** Class names; index i is output unit i. */
  labels: string[];
  config: TrainConfig;
  outDir: string;
  onProgress?: (line: ProgressLine) => void;
  /** After every optimiser step: where the epoch stands, for a progress bar. */
  onBatch?: (progress: BatchProgress) => void;
}

/** Progress within an epoch. */
export interface BatchProgress {
  epoch: number;
  /** 1-based batch just finished, of `batches`. */
  batch: number;
  batches: number;
  /** Images seen so far this epoch. */
  images: number;
  /** Since the epoch started. */
  seconds: number;
  /** Mean training loss so far this epoch. */
  loss: number;
}

/** Dropout before the classifier unless `config.dropout` says otherwise. */
export const DEFAULT_DROPOUT = 0.2;

/** Share of each class held out for validation when no validation set is given. */
export const DEFAULT_VAL_FRACTION = 0.1;

/** Trains, restores the best epoch's weights, evaluates and writes the artifacts. */
export async function trainModel(req: TrainRequest): Promise<TrainResult> {
  const { labels, config } = req;
  checkRequest(req);
  const augment = resolveAugment(config.augment); // a bad setting fails before any decoding
  await ensureNativeBackend(config.device ?? deviceFromEnv());
  const runtime = await describeBackend();
  const outDir = resolve(req.outDir);
  const modelDir = join(outDir, TRAINING_FILES.model);
  const logPath = join(outDir, TRAINING_FILES.log);
  await mkdir(outDir, { recursive: true });
  await rm(logPath, { force: true });

  const rng = mulberry32(config.seed);
  const { train, val } =
    req.val.length > 0
      ? { train: req.train, val: req.val }
      : stratifiedSplit(req.train, DEFAULT_VAL_FRACTION, rng);
  const trainY = toLabelIndices(train, labels);
  const valY = toLabelIndices(val, labels);
  const evalY = toLabelIndices(req.evaluation, labels);
  const trainPixels = await decodeImages(
    train.map((i) => i.path),
    config.inputSize,
  );
  const valPixels = await decodeImages(
    val.map((i) => i.path),
    config.inputSize,
  );

  const weights =
    config.classWeights === false
      ? labels.map(() => 1)
      : inverseFrequencyWeights(classCounts(trainY, labels.length));
  const schedule = planSchedule(
    config.learningRate,
    config.epochs,
    Math.ceil(train.length / config.batchSize),
    { kind: config.lrSchedule, warmupEpochs: config.warmupEpochs },
  );

  const dropoutRate = config.dropout ?? DEFAULT_DROPOUT;
  const smoothing = config.labelSmoothing ?? 0;
  const model = buildMobileNetV2({
    alpha: config.alpha,
    inputSize: config.inputSize,
    numClasses: labels.length,
    seed: config.seed,
    dropout: dropoutRate,
  });
  // The layers model holds the initial weights and, at the end, the best ones (saving and
  // the .tflite writer read it); the steps themselves run as fused kernels.
  const net = FusedMobileNetV2.fromLayersModel(tf, model, { alpha: config.alpha });
  const batches = Math.ceil(train.length / config.batchSize);
  const replicas =
    config.replicas === undefined || config.replicas === "auto"
      ? autoReplicas(net.usingGpu, config.batchSize)
      : config.replicas;
  // One replica trains here; more train in worker threads while this one only judges.
  let pool: ReplicaPool | undefined;
  if (replicas > 1) {
    warmUp(net, config.inputSize, labels.length, augment);
    pool = await ReplicaPool.start(replicas, {
      alpha: config.alpha,
      inputSize: config.inputSize,
      numClasses: labels.length,
      seed: config.seed,
      dropout: dropoutRate,
      emaDecay: config.emaDecay || undefined,
      device: config.device ?? deviceFromEnv(),
      weightCount: net.weightLayout().reduce((a, l) => a + l.size, 0),
    });
  } else if (config.emaDecay) net.enableEma(config.emaDecay);

  const source: ShareSource = {
    seed: config.seed,
    inputSize: config.inputSize,
    numClasses: labels.length,
    replicas,
    trainPixels,
    trainY,
    classWeights: weights,
    augment,
    smoothing,
    mixup: config.mixup,
    dropoutRate,
    featureCount: net.featureCount,
    rng,
  };

  const history: EpochLog[] = [];
  let best: { epoch: number; valLoss: number; weights: Map<string, tf.Tensor> } | undefined;
  const fitStart = performance.now();
  let step = 0;
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const t0 = performance.now();
      const order = shuffled(train.length, rng);
      let lossSum = 0;
      let accSum = 0;
      let lr = config.learningRate;
      for (let start = 0, batch = 0; start < order.length; start += config.batchSize, batch++) {
        const idx = order.slice(start, start + config.batchSize);
        lr = learningRateAt(step++, schedule);
        const parts = batchShares(source, idx, epoch, batch);
        const result = pool
          ? await pool.step(parts, lr)
          : tf.tidy(() => {
              const r = net.trainStep({
                ...batchTensors(parts[0]!, config.inputSize, labels.length, net.featureCount),
                learningRate: lr,
              });
              return { loss: r.loss, correct: Math.round(r.accuracy * idx.length) };
            });
        lossSum += result.loss * idx.length;
        accSum += result.correct;
        req.onBatch?.({
          epoch,
          batch: batch + 1,
          batches,
          images: start + idx.length,
          seconds: (performance.now() - t0) / 1000,
          loss: lossSum / (start + idx.length),
        });
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      // With weight averaging, the epoch is judged (and kept) with the averaged weights;
      // training then goes on from its own.
      if (pool) net.setTrainableValues(await pool.pull(config.emaDecay ? "ema" : "weights"));
      const trained = config.emaDecay && !pool ? net.snapshot() : undefined;
      if (trained) net.loadEma();
      net.recalibrate(
        recalibrationBatches(
          order.map((i) => trainPixels[i] as Uint8Array),
          config.inputSize,
          config.batchSize,
        ),
      );
      const valProbs = probabilitiesOf(net, valPixels, config.inputSize, config.batchSize);
      const valLoss = crossEntropy(valProbs, valY);
      const line: EpochLog = {
        epoch,
        loss: lossSum / train.length,
        accuracy: accSum / train.length,
        val_loss: valLoss,
        val_accuracy: valProbs.filter((p, i) => argmax(p) === valY[i]).length / val.length,
        seconds: (performance.now() - t0) / 1000,
        images_per_s: train.length / trainSeconds,
        lr,
      };
      history.push(line);
      await appendFile(logPath, JSON.stringify(line) + "\n");
      if (!best || valLoss < best.valLoss) {
        if (best) tf.dispose([...best.weights.values()]);
        best = { epoch, valLoss, weights: net.snapshot() };
      }
      if (trained) {
        net.restore(trained);
        tf.dispose([...trained.values()]);
      }
      const stop = epoch - best.epoch >= config.patience;
      const meanEpoch = history.reduce((a, h) => a + h.seconds, 0) / history.length;
      req.onProgress?.({ ...line, eta_s: stop ? 0 : (config.epochs - epoch) * meanEpoch });
      if (stop) break;
    }
    const fitSeconds = (performance.now() - fitStart) / 1000;
    if (!best) throw new Error("training ran no epoch (config.epochs must be >= 1)");
    net.restore(best.weights); // BN moving statistics included
    return await writeArtifacts({
      net,
      model,
      evaluation: req.evaluation,
      evalY,
      labels,
      config,
      outDir,
      modelDir,
      history,
      bestEpoch: best.epoch,
      fitSeconds,
      augment,
      classWeights: weights,
      runtime,
      replicas,
      trainImages: train.length,
      valImages: val.length,
      schedule,
    });
  } finally {
    await pool?.close();
    if (best) tf.dispose([...best.weights.values()]);
    net.dispose();
    model.dispose();
  }
}
