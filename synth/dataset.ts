/**
 * A whole synthetic dataset on disk: images under `outDir/<prefix>/<label>/` and the
 * manifest that lists them, ready for the pipeline to pick up like a contributor's batch.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type Manifest,
  type ManifestImage,
  MANIFEST_SCHEMA_VERSION,
  keyProblem,
  validateManifest,
  formatManifestProblems,
} from "../lib/manifest.ts";
import { type Label, MANGO_CLASSES, encodeJpeg, photoRng, renderPhoto } from "./draw.ts";
import { createRng } from "./rng.ts";

export { MANGO_CLASSES, type Label } from "./draw.ts";

/** What to synthesize and where. */
export interface SynthesizeOptions {
  /** Bucket root folder; the manifest's base_uri is its file URL. */
  outDir: string;
  /** Key prefix inside the bucket, e.g. "batches/2026-11-a". */
  prefix: string;
  datasetId: string;
  kind: "training" | "evaluation";
  /** Images per class: one number for all, or per class (missing classes get none). */
  perClass: number | Partial<Record<Label, number>>;
  seed: number;
  /** Square image side in pixels (default 224). */
  size?: number;
  /** Share of each class marked "val" in a training set (default 0.2). */
  valFraction?: number;
  /** The label set, a subset of MANGO_CLASSES (default: all of them, in their order). */
  classes?: string[];
  /**
   * Label mistakes a contributor made, for datasets that pass every data check yet teach
   * the wrong thing: `fraction` of the photos drawn as `from` are filed and labelled as
   * `to`, like the class's own photos (nothing in the manifest tells them apart). Which
   * photos is a seeded choice; the pixels are those of the same seed without mistakes.
   */
  relabel?: Relabel[];
  description?: string;
  /**
   * Tag each image with the scene it was drawn with (`background`, `lighting`): the slices
   * of an evaluation set. Default: for evaluation sets only.
   */
  tagScenes?: boolean;
}

/** One kind of label mistake: a share of the photos of `from` recorded as `to`. */
export interface Relabel {
  from: Label;
  to: Label;
  /** Share of `from`'s photos, in [0, 1]; rounded to whole photos. */
  fraction: number;
}

/** One photo to write: the class it is drawn as, its index there, and the label it gets. */
export interface PlannedPhoto {
  drawn: Label;
  index: number;
  label: Label;
}

/** sha256 hex of bytes, as the manifest records it. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Checks and normalises the class list; throws naming the allowed values. */
export function resolveClasses(classes: readonly string[] | undefined): Label[] {
  if (!classes) return [...MANGO_CLASSES];
  const allowed = new Set<string>(MANGO_CLASSES);
  const unknown = classes.filter((c) => !allowed.has(c));
  if (unknown.length) {
    throw new Error(
      `classes: ${unknown.map((c) => `"${c}"`).join(", ")} cannot be drawn; allowed: ${MANGO_CLASSES.join(", ")}`,
    );
  }
  if (new Set(classes).size !== classes.length)
    throw new Error(`classes: lists a class twice: ${classes.join(", ")}`);
  return classes as Label[];
}

/**
 * Which images of one class go to "val": a seeded shuffle, so the split is stable for a
 * seed and stratified (every class gets its share). Keeps at least one of each split when
 * a class has two or more images and the fraction is neither 0 nor 1.
 */
export function valIndices(
  count: number,
  valFraction: number,
  seed: number,
  label: string,
): Set<number> {
  let nVal = Math.round(count * valFraction);
  if (valFraction > 0 && count >= 2) nVal = Math.min(count - 1, Math.max(1, nVal));
  return new Set(shuffled(count, "mango-split", seed, label).slice(0, nVal));
}

/** The file name of image `index` of a class: `<label>_<nnnn>.jpg`. */
export function imageFileName(label: string, index: number): string {
  return `${label}_${String(index).padStart(4, "0")}.jpg`;
}

/** A seeded order of `count` items, stable for a seed and a name. */
function shuffled(count: number, ...key: Array<string | number>): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  const rng = createRng(...key);
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * Which photos each label gets: a class's own photos first, then those of other classes
 * recorded as it (`relabel`). Throws naming a mistake that cannot be made.
 */
export function planPhotos(
  classes: readonly Label[],
  counts: ReadonlyMap<Label, number>,
  relabel: readonly Relabel[],
  seed: number,
): Map<Label, PlannedPhoto[]> {
  const recordedAs = new Map<string, Label>();
  for (const from of new Set(relabel.map((r) => r.from))) {
    const mistakes = relabel.filter((r) => r.from === from);
    const total = mistakes.reduce((s, r) => s + r.fraction, 0);
    if (total > 1 + 1e-9)
      throw new Error(
        `relabel: ${Math.round(total * 100)}% of the photos of "${from}" are relabelled; the fractions of one class may add up to 1 at most`,
      );
    const order = shuffled(counts.get(from) ?? 0, "mango-relabel", seed, from);
    let taken = 0;
    for (const r of mistakes) {
      const k = Math.round(order.length * r.fraction);
      for (const i of order.slice(taken, taken + k)) recordedAs.set(`${from}/${i}`, r.to);
      taken += k;
    }
  }
  const photos = classes.flatMap((drawn) =>
    Array.from({ length: counts.get(drawn) ?? 0 }, (_, index) => ({
      drawn,
      index,
      label: recordedAs.get(`${drawn}/${index}`) ?? drawn,
    })),
  );
  return new Map(
    classes.map((l) => [
      l,
      [
        ...photos.filter((p) => p.label === l && p.drawn === l),
        ...photos.filter((p) => p.label === l && p.drawn !== l),
      ],
    ]),
  );
}

/** Checks `relabel` against the class list; throws naming the field and the allowed values. */
function checkRelabel(relabel: readonly Relabel[], classes: readonly Label[]): void {
  for (const r of relabel) {
    if (!classes.includes(r.from) || !classes.includes(r.to) || r.from === r.to)
      throw new Error(
        `relabel: "${r.from}" -> "${r.to}" needs two different classes of [${classes.join(", ")}]`,
      );
    if (!(r.fraction >= 0 && r.fraction <= 1))
      throw new Error(
        `relabel: the fraction of "${r.from}" -> "${r.to}" must be in [0, 1], received ${r.fraction}`,
      );
  }
}

/** Validates the options that would otherwise fail deep inside; throws with the field named. */
function checkOptions(opts: SynthesizeOptions): void {
  const prefixProblem = keyProblem(opts.prefix);
  if (prefixProblem) throw new Error(`prefix: "${opts.prefix}" ${prefixProblem}`);
  const size = opts.size ?? 224;
  if (!Number.isInteger(size) || size < 32 || size > 2048)
    throw new Error(`size: expected an integer from 32 to 2048, received ${size}`);
  const vf = opts.valFraction ?? 0.2;
  if (!(vf >= 0 && vf < 1))
    throw new Error(`valFraction: expected a number in [0, 1), received ${vf}`);
  if (!Number.isInteger(opts.seed))
    throw new Error(`seed: expected an integer, received ${opts.seed}`);
}

/** Writes the images of a synthetic dataset and returns its (validated) manifest. */
export async function synthesizeDataset(opts: SynthesizeOptions): Promise<Manifest> {
  checkOptions(opts);
  const classes = resolveClasses(opts.classes);
  const size = opts.size ?? 224;
  const valFraction = opts.kind === "training" ? (opts.valFraction ?? 0.2) : 0;
  const counts = new Map<Label, number>();
  for (const label of classes) {
    const count = typeof opts.perClass === "number" ? opts.perClass : (opts.perClass[label] ?? 0);
    if (!Number.isInteger(count) || count < 0)
      throw new Error(
        `perClass: expected a whole number of images for "${label}", received ${count}`,
      );
    counts.set(label, count);
  }
  checkRelabel(opts.relabel ?? [], classes);
  const plan = planPhotos(classes, counts, opts.relabel ?? [], opts.seed);
  const tagScenes = opts.tagScenes ?? opts.kind === "evaluation";
  const images: ManifestImage[] = [];
  for (const label of classes) {
    const photos = plan.get(label)!;
    const dir = join(opts.outDir, opts.prefix, label);
    await mkdir(dir, { recursive: true });
    const val = valIndices(photos.length, valFraction, opts.seed, label);
    // Encoding and writing run off the main thread, so the next image is rendered while the
    // previous one is encoded; at most one is in flight, which keeps memory flat.
    let inFlight: Promise<void> = Promise.resolve();
    for (const [i, photo] of photos.entries()) {
      const file = imageFileName(label, i);
      const raw = renderPhoto(photo.drawn, photoRng(opts.seed, photo.drawn, photo.index), size);
      await inFlight;
      const entry: ManifestImage = {
        key: `${opts.prefix}/${label}/${file}`,
        label,
        sha256: "",
        split: opts.kind === "evaluation" ? "eval" : val.has(i) ? "val" : "train",
        ...(tagScenes ? { tags: { ...raw.scene } } : {}),
      };
      images.push(entry);
      inFlight = encodeJpeg(raw).then(async (jpeg) => {
        entry.sha256 = sha256Hex(jpeg);
        await writeFile(join(dir, file), jpeg);
      });
    }
    await inFlight;
  }
  const manifest: Manifest = {
    schema_version: MANIFEST_SCHEMA_VERSION,
    dataset_id: opts.datasetId,
    kind: opts.kind,
    description:
      opts.description ??
      `Synthetic mango photos (seed ${opts.seed}, ${size}px), made by npm run synth`,
    base_uri: pathToFileURL(opts.outDir).href,
    labels: [...classes],
    images,
  };
  return checkedManifest(manifest);
}

/** Returns the manifest if it validates; otherwise throws with every problem listed. */
export function checkedManifest(manifest: Manifest): Manifest {
  const { manifest: ok, errors } = validateManifest(
    manifest,
    `synthetic manifest ${manifest.dataset_id}`,
  );
  if (!ok)
    throw new Error(
      `the synthesized manifest does not validate:\n${formatManifestProblems(errors)}`,
    );
  return ok;
}
