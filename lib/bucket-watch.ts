/**
 * The seed's "new objects in the bucket" trigger, as GitOps: objects that appeared under
 * an incoming prefix become a manifest (label = the folder right under the prefix, sha256
 * computed from the bytes), which is then proposed as a pull request, so new data still
 * enters through a reviewed commit.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { MANIFEST_SCHEMA_VERSION, type Manifest, validateManifest } from "./manifest.ts";
import type { ObjectStore } from "./storage/index.ts";

const IMAGE = /\.(jpe?g|png|webp)$/i;

/** An object the watcher left out, and why. */
export interface SkippedObject {
  key: string;
  reason: string;
}

/** Keys (under a base URI) that committed manifests already list. */
export async function listedKeys(manifestsDir: string, baseUri: string): Promise<Set<string>> {
  const keys = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith(".json") && !e.name.endsWith(".schema.json")) {
        try {
          const m = JSON.parse(await readFile(p, "utf8")) as Partial<Manifest>;
          if (m.base_uri === baseUri) for (const img of m.images ?? []) keys.add(img.key);
        } catch {
          // An unreadable manifest lists nothing; the manifest review reports it.
        }
      }
    }
  };
  await walk(manifestsDir);
  return keys;
}

/** Deterministic ~`valFraction` validation split from the image's own hash. */
function splitFor(sha256: string, valFraction: number): "train" | "val" {
  return parseInt(sha256.slice(0, 8), 16) / 0xffffffff < valFraction ? "val" : "train";
}

/**
 * Builds a training manifest from the new images under `prefix` (keys not in `known`).
 * Returns undefined as manifest when nothing new is there.
 */
export async function manifestFromIncoming(
  store: ObjectStore,
  opts: { prefix: string; labels: string[]; known: Set<string>; datasetId: string; valFraction?: number; description?: string },
): Promise<{ manifest?: Manifest; skipped: SkippedObject[] }> {
  const prefix = opts.prefix === "" ? "" : opts.prefix.replace(/\/?$/, "/");
  const skipped: SkippedObject[] = [];
  const images: Manifest["images"] = [];
  for await (const obj of store.list(prefix)) {
    if (opts.known.has(obj.key)) continue;
    const rest = obj.key.slice(prefix.length).split("/");
    if (!IMAGE.test(obj.key)) { skipped.push({ key: obj.key, reason: "not an image (.jpg, .png, .webp)" }); continue; }
    if (rest.length < 2) { skipped.push({ key: obj.key, reason: `not inside a label folder (expected ${prefix}<label>/<file>)` }); continue; }
    const label = rest[0]!;
    if (!opts.labels.includes(label)) { skipped.push({ key: obj.key, reason: `folder "${label}" is not a class of the model [${opts.labels.join(", ")}]` }); continue; }
    const sha256 = createHash("sha256").update(await store.get(obj.key)).digest("hex");
    images.push({ key: obj.key, label, sha256, split: splitFor(sha256, opts.valFraction ?? 0.2) });
  }
  if (!images.length) return { skipped };
  // With few images the hash split can leave val empty; the first image of each class then validates.
  if (!images.some((i) => i.split === "val") && images.length > 1) images[images.length - 1]!.split = "val";
  if (!images.some((i) => i.split === "train")) images[0]!.split = "train";
  const manifest: Manifest = {
    schema_version: MANIFEST_SCHEMA_VERSION,
    dataset_id: opts.datasetId,
    kind: "training",
    description: opts.description ?? `New objects under ${store.baseUri.replace(/\/$/, "")}/${prefix}`,
    base_uri: store.baseUri,
    labels: opts.labels,
    images,
  };
  const { errors } = validateManifest(manifest, opts.datasetId);
  if (errors.length) throw new Error(`the watcher built an invalid manifest: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`);
  return { manifest, skipped };
}
