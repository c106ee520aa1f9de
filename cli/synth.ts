/**
 * `npm run synth -- --out DIR [--prefix P] [--dataset-id ID] [--kind training|evaluation]
 *  [--per-class N] [--seed N] [--size N] [--bad] [--manifest PATH] [--defects PATH]`
 *
 * Writes synthetic mango photos and their manifest, then prints one summary line. A bad
 * flag exits with code 2 and says which flag, what is allowed and what was received.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type Manifest, stringifyManifest } from "../lib/manifest.ts";
import { synthesizeBadBatch } from "../synth/bad-batch.ts";
import { MANGO_CLASSES, synthesizeDataset } from "../synth/dataset.ts";
import { parseFlags, runIfMain, UsageError } from "./main.ts";

export { UsageError };

const USAGE =
  "usage: npm run synth -- --out DIR [--prefix P] [--dataset-id ID] [--kind training|evaluation] [--per-class N] [--seed N] [--size PX] [--bad] [--manifest PATH] [--defects PATH]";

/** Everything the command needs, parsed and checked. */
export interface SynthCliOptions {
  out: string;
  prefix: string;
  datasetId: string;
  kind: "training" | "evaluation";
  perClass: number;
  seed: number;
  size: number;
  bad: boolean;
  manifestPath: string;
  defectsPath: string | undefined;
}

const KINDS = ["training", "evaluation"] as const;

function integerFlag(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name}: expected an integer from ${min} to ${max}, received "${raw}"`);
  }
  return n;
}

/** Parses argv (without node and script); throws UsageError on anything unusable. */
export function parseSynthArgs(argv: string[]): SynthCliOptions {
  const values = parseFlags(
    argv,
    {
      out: { type: "string" },
      prefix: { type: "string" },
      "dataset-id": { type: "string" },
      kind: { type: "string" },
      "per-class": { type: "string" },
      seed: { type: "string" },
      size: { type: "string" },
      bad: { type: "boolean" },
      manifest: { type: "string" },
      defects: { type: "string" },
    },
    USAGE,
  );
  if (!values.out)
    throw new UsageError(
      "--out: required, the bucket folder to write into (e.g. --out .mlops/bucket), received nothing",
    );
  const kind = values.kind ?? "training";
  if (!(KINDS as readonly string[]).includes(kind))
    throw new UsageError(`--kind: expected one of ${KINDS.join(", ")}, received "${kind}"`);
  const bad = values.bad ?? false;
  if (bad && kind !== "training")
    throw new UsageError(`--kind: a --bad batch is always "training", received "${kind}"`);
  const seed = integerFlag("seed", values.seed, 1, 0, 2 ** 32 - 1);
  const perClass = integerFlag(
    "per-class",
    values["per-class"],
    bad ? 8 : 20,
    bad ? 2 : 1,
    100_000,
  );
  const size = integerFlag("size", values.size, 224, 32, 2048);
  const datasetId = values["dataset-id"] ?? `synth-${bad ? "bad-" : ""}${kind}-seed${seed}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(datasetId)) {
    throw new UsageError(
      `--dataset-id: expected letters, digits, '.', '_' and '-' (starting with a letter or digit), received "${datasetId}"`,
    );
  }
  const out = resolve(values.out);
  return {
    out,
    kind: kind as SynthCliOptions["kind"],
    seed,
    perClass,
    size,
    bad,
    datasetId,
    prefix: values.prefix ?? `batches/${datasetId}`,
    manifestPath: resolve(values.manifest ?? join(out, "manifests", `${datasetId}.json`)),
    defectsPath: values.defects ? resolve(values.defects) : undefined,
  };
}

function countBy<T>(items: T[], key: (t: T) => string): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(key(i), (counts.get(key(i)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).join(", ");
}

/** Writes the images and the manifest; returns the one-line summary. */
export async function runSynth(o: SynthCliOptions): Promise<string> {
  const started = performance.now();
  let manifest: Manifest;
  let extra = "";
  if (o.bad) {
    const batch = await synthesizeBadBatch({
      outDir: o.out,
      prefix: o.prefix,
      datasetId: o.datasetId,
      seed: o.seed,
      size: o.size,
      count: o.perClass * MANGO_CLASSES.length,
    });
    manifest = batch.manifest;
    extra = `; defects: ${countBy(Object.values(batch.defects), (k) => k)}`;
    if (o.defectsPath) {
      await mkdir(dirname(o.defectsPath), { recursive: true });
      await writeFile(o.defectsPath, JSON.stringify(batch.defects, null, 2) + "\n");
      extra += ` (answer key: ${o.defectsPath})`;
    }
  } else {
    manifest = await synthesizeDataset({
      outDir: o.out,
      prefix: o.prefix,
      datasetId: o.datasetId,
      kind: o.kind,
      perClass: o.perClass,
      seed: o.seed,
      size: o.size,
    });
  }
  await mkdir(dirname(o.manifestPath), { recursive: true });
  await writeFile(o.manifestPath, stringifyManifest(manifest));
  const seconds = (performance.now() - started) / 1000;
  const n = manifest.images.length;
  return (
    `synth: ${n} ${o.bad ? "BAD " : ""}${o.kind} images (${countBy(manifest.images, (i) => i.label)}; ${countBy(manifest.images, (i) => i.split)})` +
    `${extra} under ${join(o.out, o.prefix)} in ${seconds.toFixed(1)}s (${(n / seconds).toFixed(0)} img/s); manifest: ${o.manifestPath}`
  );
}

/** Entry point: --help exits 0, a usage error 2, anything else 1 (cli/main.ts). */
export async function main(argv: string[]): Promise<void> {
  console.log(await runSynth(parseSynthArgs(argv)));
}

runIfMain(import.meta.url, () => main(process.argv.slice(2)), "synth");
