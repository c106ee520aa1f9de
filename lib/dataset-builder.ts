/**
 * A training manifest from a folder of labelled images (`<label>/<file>`), wherever the
 * folder is: a local directory (`npm run manifest`) or new objects under a bucket prefix
 * (the bucket watch). Labels come from the folder names, sha256 from the bytes, and the
 * train/val split is seeded and stratified by label, with copies of one photo (the data
 * gate's copy search) kept in one split, so validation never scores a photo's twin.
 */
import { createHash } from "node:crypto";
import { runPool } from "./pool.ts";
import { mulberry32 } from "./random.ts";
import {
  keyProblem,
  MANIFEST_SCHEMA_VERSION,
  type Manifest,
  validateManifest,
} from "./manifest.ts";
import {
  analyzeImage,
  copyRule,
  defaultQualityConfig,
  findDuplicates,
  type HashedImage,
  type QualityConfig,
  sniffFormat,
} from "./quality/index.ts";
import type { ObjectStore } from "./storage/index.ts";

const IMAGE_NAME = /\.(jpe?g|png|webp)$/i;
const LABEL = /^[a-z][a-z0-9_]*$/;

/**
 * An object left out of the manifest, and why: a name no manifest can list, a folder that
 * is no class, something that is not an image, or bytes that could not be read. One such
 * object never stops the others from being proposed.
 */
export interface SkippedObject {
  key: string;
  reason: string;
  /** The object is not an image (by name or by content), as opposed to one left out on purpose. */
  notImage?: boolean;
}

/** Inputs of `buildManifest`. */
export interface BuildManifestOptions {
  /** Folder inside the store whose subfolders are the labels ("" for the store's root). */
  prefix: string;
  datasetId: string;
  /** The classes to accept; without it every label folder becomes a class. */
  labels?: string[];
  /** Keys already listed by committed manifests: not new, left out silently. */
  known?: Set<string>;
  /** Share of each class that goes to val (0-0.9). */
  valFraction?: number;
  seed?: number;
  /** Where the images live for the pipeline; the store's own URI when omitted. */
  baseUri?: string;
  description?: string;
  /** The data gate's settings, for the copy search that keeps copies in one split. */
  quality?: QualityConfig;
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

/** The manifest (undefined when nothing usable is there), what was left out, and copy groups kept together. */
export interface BuiltManifest {
  manifest?: Manifest;
  skipped: SkippedObject[];
  copyGroups: number;
  /** Why the manifest is not valid as built (e.g. a single class), when it is not. */
  problems?: string[];
}

interface Found {
  key: string;
  label: string;
  sha256: string;
  hashed?: HashedImage;
}

/**
 * Seeded stratified split over units of copies: per label, units are shuffled and moved to
 * val until val holds `valFraction` of the label's images (rounded); the last unit of a
 * class always trains.
 */
function splitUnits(
  units: Found[][],
  valFraction: number,
  seed: number,
): Map<string, "train" | "val"> {
  const out = new Map<string, "train" | "val">();
  const byLabel = new Map<string, Found[][]>();
  for (const u of units) {
    const list = byLabel.get(u[0]!.label);
    if (list) list.push(u);
    else byLabel.set(u[0]!.label, [u]);
  }
  for (const [label, list] of [...byLabel].sort(([a], [b]) => a.localeCompare(b))) {
    const rand = mulberry32(
      seed ^ Number.parseInt(createHash("sha256").update(label).digest("hex").slice(0, 8), 16),
    );
    const order = list
      .map((u) => ({ u, r: rand() }))
      .sort((a, b) => a.r - b.r)
      .map((x) => x.u);
    const total = list.reduce((n, u) => n + u.length, 0);
    const target = Math.round(total * valFraction);
    let inVal = 0;
    order.forEach((u, i) => {
      const val = inVal < target && i < order.length - 1;
      if (val) inVal += u.length;
      for (const f of u) out.set(f.key, val ? "val" : "train");
    });
  }
  return out;
}

/** Builds a training manifest from the label folders under `opts.prefix` in `store`; never writes. */
export async function buildManifest(
  store: ObjectStore,
  opts: BuildManifestOptions,
): Promise<BuiltManifest> {
  const prefix = opts.prefix === "" ? "" : opts.prefix.replace(/\/?$/, "/");
  const quality = opts.quality ?? defaultQualityConfig();
  const valFraction = opts.valFraction ?? 0.15;
  if (!(valFraction >= 0 && valFraction <= 0.9))
    throw new Error(`valFraction must be between 0 and 0.9, received ${valFraction}`);
  const skipped: SkippedObject[] = [];
  const keys: Array<{ key: string; label: string }> = [];
  for await (const obj of store.list(prefix)) {
    if (opts.known?.has(obj.key)) continue;
    const badName = keyProblem(obj.key);
    if (badName) {
      skipped.push({ key: obj.key, reason: `unusable name: it ${badName} (rename the object)` });
      continue;
    }
    const rest = obj.key.slice(prefix.length).split("/");
    if (rest.length < 2) {
      skipped.push({
        key: obj.key,
        reason: `not inside a label folder (expected ${prefix}<label>/<file>)`,
      });
      continue;
    }
    const label = rest[0]!;
    if (!IMAGE_NAME.test(obj.key)) {
      skipped.push({
        key: obj.key,
        reason: "not an image (.jpg, .jpeg, .png, .webp)",
        notImage: true,
      });
      continue;
    }
    if (opts.labels ? !opts.labels.includes(label) : !LABEL.test(label)) {
      skipped.push({
        key: obj.key,
        reason: opts.labels
          ? `folder "${label}" is not a class of the model [${opts.labels.join(", ")}]`
          : `folder "${label}" is not a class name (lowercase a-z, 0-9 and '_')`,
      });
      continue;
    }
    keys.push({ key: obj.key, label });
  }

  const found: Array<Found | undefined> = new Array(keys.length);
  let done = 0;
  await runPool(keys.length, opts.concurrency ?? 4, async (i) => {
    const { key, label } = keys[i]!;
    const bytes = await store.get(key).catch((err: Error) => {
      skipped.push({
        key,
        reason: `cannot be read: ${err.message} (check the object and its permissions)`,
      });
      return undefined;
    });
    if (!bytes) {
      // Reported as skipped: the other objects are still proposed.
    } else if (!sniffFormat(bytes)) {
      skipped.push({
        key,
        reason: `named like an image but its content is not a JPEG, PNG or WebP image (${bytes.length} bytes)`,
        notImage: true,
      });
    } else {
      // A photo the gate cannot decode stays in the manifest: the gate refuses it by name.
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      const a = await analyzeImage(bytes, quality).catch(() => ({ ok: false as const }));
      found[i] = {
        key,
        label,
        sha256,
        ...(a.ok
          ? { hashed: { key, sha256, hash: a.hash, colour: a.colour, thumb: a.thumb } }
          : {}),
      };
    }
    opts.onProgress?.(++done, keys.length);
  });
  // Reads finish in any order; the report lists what was left out by key.
  skipped.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const images = found.filter((f): f is Found => f !== undefined);
  if (!images.length) return { skipped, copyGroups: 0 };

  // Units: each photo with its exact and near copies, so a split never separates them.
  const byKey = new Map(images.map((f) => [f.key, f]));
  const unitOf = new Map<string, Found[]>();
  const groups = findDuplicates(
    images.flatMap((f) => (f.hashed ? [f.hashed] : [])),
    copyRule(quality),
  );
  const bySha = new Map<string, Found[]>();
  for (const f of images) bySha.set(f.sha256, [...(bySha.get(f.sha256) ?? []), f]);
  for (const f of images)
    if (!unitOf.has(f.key)) {
      const u = bySha.get(f.sha256)!;
      for (const g of u) unitOf.set(g.key, u);
    }
  for (const g of groups.filter((x) => x.kind === "near")) {
    const merged = [...new Set(g.keys.flatMap((k) => unitOf.get(k) ?? [byKey.get(k)!]))];
    for (const f of merged) unitOf.set(f.key, merged);
  }
  const units = [...new Set(images.map((f) => unitOf.get(f.key)!))];
  const split = splitUnits(units, valFraction, opts.seed ?? 42);
  const labels = opts.labels ?? [...new Set(images.map((f) => f.label))].sort();
  const manifest: Manifest = {
    schema_version: MANIFEST_SCHEMA_VERSION,
    dataset_id: opts.datasetId,
    kind: "training",
    description:
      opts.description ??
      `Images under ${(opts.baseUri ?? store.baseUri).replace(/\/$/, "")}/${prefix}`,
    base_uri: opts.baseUri ?? store.baseUri,
    labels,
    images: images.map((f) => ({
      key: f.key,
      label: f.label,
      sha256: f.sha256,
      split: split.get(f.key)!,
    })),
  };
  const { errors } = validateManifest(manifest, opts.datasetId);
  const problems = errors.map((e) => `${e.path}: ${e.message}`);
  return {
    manifest,
    skipped,
    copyGroups: units.filter((u) => u.length > 1).length,
    ...(problems.length ? { problems } : {}),
  };
}
