/**
 * The DL worker on its own (app/train.ts): `npm run train -- --manifest M --eval E --out DIR
 * [--config mlops.config.json] [--cache DIR]`. Trains on M's train split (val for early
 * stopping), evaluates on E, and writes DIR/tfjs/, DIR/metrics.json, DIR/predictions.json
 * and DIR/training-log.jsonl. Hyper-parameters and labels come from the config file.
 */
import { loadDotEnv } from "../lib/config.ts";
import { parseFlags, runIfMain, UsageError } from "./main.ts";

const USAGE =
  "usage: npm run train -- --manifest data-manifests/M.json --eval data-manifests/eval/E.json --out DIR [--config mlops.config.json] [--cache DIR]";

/** Parses the flags; a missing or unknown one is a UsageError that shows the usage. */
export function parseTrainArgs(argv: string[]): {
  manifest: string;
  eval: string;
  out: string;
  config: string;
  cache: string;
} {
  const s = { type: "string" } as const;
  const got = parseFlags(argv, { manifest: s, eval: s, out: s, config: s, cache: s }, USAGE);
  for (const required of ["manifest", "eval", "out"] as const) {
    if (!got[required]) throw new UsageError(`--${required} is required\n${USAGE}`);
  }
  return {
    manifest: got.manifest!,
    eval: got.eval!,
    out: got.out!,
    config: got.config ?? "mlops.config.json",
    cache: got.cache ?? ".mlops/cache",
  };
}

async function main(): Promise<void> {
  const args = parseTrainArgs(process.argv.slice(2));
  loadDotEnv(process.cwd());
  // Loaded after the flags: --help and a usage error answer before TensorFlow loads.
  const { trainOnManifests } = await import("../app/train.ts");
  const result = await trainOnManifests({
    ...args,
    progress: { tty: process.stderr.isTTY === true, write: (t) => process.stderr.write(t) },
    onEpoch: (p) =>
      console.log(
        `epoch ${p.epoch}: loss ${p.loss.toFixed(3)} acc ${p.accuracy.toFixed(3)} val_loss ${p.val_loss.toFixed(3)} val_acc ${p.val_accuracy.toFixed(3)} ${p.images_per_s.toFixed(0)} img/s ETA ${Math.round(p.eta_s)}s`,
      ),
  });
  console.log(
    `accuracy ${(result.metrics.accuracy * 100).toFixed(1)}%, macro-F1 ${(result.metrics.macro_f1 * 100).toFixed(1)}% on ${result.metrics.n} evaluation images; best epoch ${result.bestEpoch}; model in ${result.modelDir}`,
  );
}

runIfMain(import.meta.url, main);
