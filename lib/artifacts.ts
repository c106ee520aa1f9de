/**
 * Model artifacts in the artifact store, content-addressed: each file lives at
 * `<model>/<sha256>/<name>`, so a key never changes meaning and a proposal cannot
 * overwrite what production serves.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { ModelArtifact } from "./registry.ts";
import { ChecksumMismatchError, objectUri, type ObjectStore } from "./storage/index.ts";

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Uploads the .tflite files and every file of the TF.js model folder, and describes them for `artifact.json`. */
export async function publishModelFolder(
  store: ObjectStore,
  model: string,
  modelDir: string,
  meta: { inputSize: number; labels: string[]; tflite?: string[] },
): Promise<ModelArtifact> {
  // The shipped .tflite first: the promote step serves the first .tflite at the stable key.
  const paths = [
    ...(meta.tflite ?? []),
    ...(await readdir(modelDir)).sort().map((n) => join(modelDir, n)),
  ];
  const names = paths.map((p) => basename(p));
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length)
    throw new Error(
      `cannot publish ${modelDir}: more than one file named ${[...new Set(twice)].join(", ")} (the artifact's file names must be unique base names; fix: rename the .tflite or move it out of the model folder)`,
    );
  const files: ModelArtifact["files"] = [];
  for (const path of paths) {
    const name = basename(path);
    const bytes = await readFile(path);
    const sha = sha256(bytes);
    const key = `${model}/${sha}/${name}`;
    // Content-addressed: an existing object under this key already has these bytes.
    if (!(await store.head(key))) await store.put(key, bytes);
    files.push({ name, sha256: sha, bytes: bytes.length, uri: objectUri(store.baseUri, key) });
  }
  return {
    format: meta.tflite?.length ? "tflite+tfjs-layers" : "tfjs-layers",
    input_size: meta.inputSize,
    labels: meta.labels,
    files,
  };
}

/** The store key of an artifact file, from its URI under the store's base. */
function keyOf(store: ObjectStore, uri: string): string {
  const base = store.baseUri.replace(/\/$/, "");
  if (!uri.startsWith(base + "/")) {
    throw new Error(
      `artifact ${uri} is not under the artifact store ${store.baseUri} (fix: set artifacts_uri to the store it was published to)`,
    );
  }
  return uri.slice(base.length + 1);
}

/**
 * Downloads an artifact's files into `destDir` with their names, refusing any whose bytes
 * do not match the sha256 recorded in the registry.
 */
export async function fetchModelFolder(
  store: ObjectStore,
  artifact: ModelArtifact,
  destDir: string,
): Promise<string> {
  await mkdir(destDir, { recursive: true });
  for (const file of artifact.files) {
    const bytes = await store.get(keyOf(store, file.uri));
    const actual = sha256(bytes);
    if (actual !== file.sha256) throw new ChecksumMismatchError(file.uri, file.sha256, actual);
    await writeFile(join(destDir, file.name), bytes);
  }
  return destDir;
}
