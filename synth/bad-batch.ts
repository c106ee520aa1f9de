/**
 * An obviously bad training batch: about 20% good photos, the rest each broken in one known
 * way. Tests and demos feed it to the data gate and expect it halted, with every defect
 * found; `defects` is the answer key.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type Manifest,
  type ManifestImage,
  MANIFEST_SCHEMA_VERSION,
  keyProblem,
} from "../lib/manifest.ts";
import { checkedManifest, imageFileName, sha256Hex, valIndices } from "./dataset.ts";
import * as defect from "./defects.ts";
import { DEFECT_KINDS, type DefectKind } from "./defects.ts";
import { type Label, MANGO_CLASSES, encodeJpeg, photoRng, renderPhoto } from "./draw.ts";
import { createRng } from "./rng.ts";

export { DEFECT_KINDS, type DefectKind } from "./defects.ts";

/** What bad batch to make and where. */
export interface BadBatchOptions {
  /** Bucket root folder; the manifest's base_uri is its file URL. */
  outDir: string;
  /** Key prefix inside the bucket, e.g. "batches/2026-11-bad". */
  prefix: string;
  datasetId: string;
  seed: number;
  /** Square image side in pixels (default 224). */
  size?: number;
  /** Number of images (default 40, at least 10 so every defect kind appears). */
  count?: number;
  description?: string;
}

/** A bad batch: its manifest and, per key, what is wrong with that image. */
export interface BadBatch {
  manifest: Manifest;
  defects: Record<string, DefectKind>;
}

const BROKEN = DEFECT_KINDS.filter((k): k is Exclude<DefectKind, "ok"> => k !== "ok");

/**
 * The defect of each image slot: ~20% "ok" first (duplicates copy them), the rest cycling
 * through the broken kinds so each appears about equally often.
 */
export function planDefects(count: number): DefectKind[] {
  const ok = Math.max(2, Math.round(count * 0.2));
  const plan: DefectKind[] = Array.from({ length: ok }, () => "ok");
  for (let i = 0; plan.length < count; i++) plan.push(BROKEN[i % BROKEN.length]!);
  return plan;
}

/** Writes a bad batch and returns its manifest (which validates: the images are bad, not the JSON). */
export async function synthesizeBadBatch(opts: BadBatchOptions): Promise<BadBatch> {
  const size = opts.size ?? 224;
  const count = opts.count ?? 40;
  if (!Number.isInteger(count) || count < 10)
    throw new Error(
      `count: expected a whole number of at least 10 (one of each defect kind plus good images), received ${count}`,
    );
  const prefixProblem = keyProblem(opts.prefix);
  if (prefixProblem) throw new Error(`prefix: "${opts.prefix}" ${prefixProblem}`);
  const rng = createRng("mango-bad-batch", opts.seed);
  const perLabel = new Map<Label, number>();
  const good: Array<{ label: Label; jpeg: Buffer }> = [];
  const entries: Array<{ key: string; label: Label; sha256: string; kind: DefectKind }> = [];
  let duplicates = 0;

  for (const [slot, kind] of planDefects(count).entries()) {
    let label: Label = MANGO_CLASSES[slot % MANGO_CLASSES.length]!;
    const raw = renderPhoto(label, photoRng(opts.seed, `bad-${label}`, slot), size);
    let bytes: Buffer;
    let recorded: string | undefined;
    switch (kind) {
      case "ok":
        bytes = await encodeJpeg(raw);
        good.push({ label, jpeg: bytes });
        break;
      case "blurred":
        bytes = await defect.blurred(raw);
        break;
      case "dark":
        bytes = await defect.dark(raw);
        break;
      case "overexposed":
        bytes = await defect.overexposed(raw);
        break;
      case "low_information":
        bytes = await defect.lowInformation(raw, rng);
        break;
      case "truncated":
        bytes = defect.truncated(await encodeJpeg(raw));
        break;
      case "wrong_checksum":
        bytes = await encodeJpeg(raw);
        // The checksum of slightly different bytes: what a re-saved or corrupted upload looks like.
        recorded = sha256Hex(Buffer.concat([bytes, Buffer.from([0])]));
        break;
      case "duplicate": {
        const source = good[duplicates % good.length]!;
        label = source.label;
        bytes = duplicates % 2 === 0 ? source.jpeg : await defect.nearDuplicate(source.jpeg, size);
        duplicates++;
        break;
      }
    }
    const index = perLabel.get(label) ?? 0;
    perLabel.set(label, index + 1);
    const key = `${opts.prefix}/${label}/${imageFileName(label, index)}`;
    const path = join(opts.outDir, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
    entries.push({ key, label, sha256: recorded ?? sha256Hex(bytes), kind });
  }

  const byLabel = new Map<Label, typeof entries>();
  for (const e of entries) byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), e]);
  const images: ManifestImage[] = [];
  const defects: Record<string, DefectKind> = {};
  for (const label of MANGO_CLASSES) {
    const list = byLabel.get(label) ?? [];
    const val = valIndices(list.length, 0.2, opts.seed, `bad-${label}`);
    list.forEach((e, i) => {
      images.push({ key: e.key, label, sha256: e.sha256, split: val.has(i) ? "val" : "train" });
      defects[e.key] = e.kind;
    });
  }
  const manifest = checkedManifest({
    schema_version: MANIFEST_SCHEMA_VERSION,
    dataset_id: opts.datasetId,
    kind: "training",
    description:
      opts.description ??
      `Synthetic BAD batch (seed ${opts.seed}): most images blurred, dark, overexposed, truncated, mis-checksummed, duplicated or blank`,
    base_uri: pathToFileURL(opts.outDir).href,
    labels: [...MANGO_CLASSES],
    images,
  });
  return { manifest, defects };
}
