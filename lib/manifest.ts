/**
 * Dataset manifests: the JSON files contributors commit under `data-manifests/`.
 *
 * A manifest lists images that live under one base URI (a local folder or an S3 prefix),
 * each with its label, sha256 and split. Validation is pure (`validateManifest`);
 * `readManifest` is the only IO, and also refuses a key repeated in the text, which
 * JSON.parse would silently resolve to its last value. Every problem names the file, the
 * JSON path, what is wrong and how to fix it.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { duplicateKeys, jsonPathOf } from "./json-keys.ts";

/** The manifest format version this code reads and writes. */
export const MANIFEST_SCHEMA_VERSION = 1;

const SHA256 = /^[0-9a-f]{64}$/;
const LABEL = /^[a-z][a-z0-9_]*$/;

/** One image of a manifest. `key` is relative to the manifest's `base_uri`. */
export const ManifestImageSchema = z.strictObject({
  key: z.string().min(1),
  label: z.string().min(1),
  sha256: z
    .string()
    .regex(SHA256, "must be 64 lowercase hex characters (sha256 of the file's bytes)"),
  split: z.enum(["train", "val", "eval"]),
});

/** A dataset manifest as committed under `data-manifests/`. */
export const ManifestSchema = z.strictObject({
  $schema: z.string().optional(),
  schema_version: z.literal(MANIFEST_SCHEMA_VERSION),
  dataset_id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' only"),
  kind: z.enum(["training", "evaluation"]),
  description: z.string().optional(),
  created_at: z.string().optional(),
  base_uri: z.string().min(1),
  labels: z.array(z.string().regex(LABEL, "lowercase label names: a-z, 0-9 and '_'")).min(2),
  images: z.array(ManifestImageSchema).min(1),
});

export type ManifestImage = z.infer<typeof ManifestImageSchema>;
export type Manifest = z.infer<typeof ManifestSchema>;
export type Split = ManifestImage["split"];

/** One thing wrong (or doubtful) with a manifest, located precisely. */
export interface ManifestProblem {
  /** The manifest file (or another name for the source). */
  file: string;
  /** JSON path of the offending value, e.g. `$.images[3].sha256`. */
  path: string;
  message: string;
  fix: string;
}

/** Thrown by `readManifest` when a manifest cannot be used. */
export class ManifestError extends Error {
  constructor(
    readonly problems: ManifestProblem[],
    options?: { cause?: unknown },
  ) {
    super(formatManifestProblems(problems), options);
    this.name = "ManifestError";
  }
}

/** Renders problems one per line: `file: $.path: message (fix: ...)`. */
export function formatManifestProblems(problems: ManifestProblem[]): string {
  return problems.map((p) => `${p.file}: ${p.path}: ${p.message} (fix: ${p.fix})`).join("\n");
}

const FIELD_FIXES: Record<string, string> = {
  schema_version: `set "schema_version": ${MANIFEST_SCHEMA_VERSION}`,
  dataset_id: 'give a short id such as "farm-a-2026-11"',
  kind: 'use "training" for data to learn from, "evaluation" for the frozen evaluation set',
  base_uri: 'use "file:///absolute/folder" or "s3://bucket/prefix"',
  labels: "list every class name once, lowercase",
  images: "list at least one image as {key, label, sha256, split}",
  key: "give the object key relative to base_uri",
  label: "use one of the names in $.labels",
  sha256: "compute it with `sha256sum FILE` and paste the 64 hex characters",
  split: 'use "train" or "val" in a training manifest, "eval" in an evaluation manifest',
};

function fixFor(path: ReadonlyArray<PropertyKey>): string {
  const last = [...path].reverse().find((p) => typeof p === "string");
  return (last && FIELD_FIXES[String(last)]) ?? "see data-manifests/README.md for the format";
}

/** Why a key cannot be used under a base URI, or undefined when it can. */
export function keyProblem(key: string): string | undefined {
  if (key.startsWith("/")) return "is absolute; keys are relative to base_uri";
  if (key.includes("\\")) return "contains a backslash; use '/' between folders";
  if (key.split("/").some((part) => part === ".." || part === "." || part === "")) {
    return "has an empty, '.' or '..' segment and so would point outside base_uri";
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
  if (/[\u0000-\u001f]/.test(key)) return "contains control characters";
  return undefined;
}

/** Why a base URI is unusable, or undefined when it is fine. */
export function baseUriProblem(uri: string): string | undefined {
  if (uri.startsWith("file:///")) return undefined;
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (s3) {
    const prefix = s3[2]?.replace(/\/+$/, "");
    const problem = prefix ? keyProblem(prefix) : undefined;
    return problem && `has a prefix that ${problem}`;
  }
  if (uri.startsWith("file://")) return "file URIs must be absolute: file:///path/to/folder";
  if (uri.startsWith("s3://"))
    return "names no valid bucket: 3-63 lowercase letters, digits, '.' and '-' after s3://";
  return "must start with file:/// or s3://<bucket>";
}

/**
 * Checks a parsed manifest: the schema first, then the rules that need the whole file
 * (labels in the label set, keys inside base_uri, unique keys, splits that fit the kind).
 */
export function validateManifest(
  json: unknown,
  file = "<manifest>",
): { manifest?: Manifest; errors: ManifestProblem[]; warnings: ManifestProblem[] } {
  const errors: ManifestProblem[] = [];
  const warnings: ManifestProblem[] = [];
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      errors.push({
        file,
        path: jsonPathOf(issue.path),
        message: issue.message,
        fix: fixFor(issue.path),
      });
    }
    return { errors, warnings };
  }
  const manifest = parsed.data;
  const uriProblem = baseUriProblem(manifest.base_uri);
  if (uriProblem)
    errors.push({
      file,
      path: "$.base_uri",
      message: `"${manifest.base_uri}" ${uriProblem}`,
      fix: FIELD_FIXES.base_uri!,
    });

  const labelSet = new Set(manifest.labels);
  if (labelSet.size !== manifest.labels.length) {
    errors.push({
      file,
      path: "$.labels",
      message: "lists a label more than once",
      fix: FIELD_FIXES.labels!,
    });
  }
  const seenKeys = new Map<string, number>();
  const allowedSplits = manifest.kind === "evaluation" ? ["eval"] : ["train", "val"];
  manifest.images.forEach((img, i) => {
    const at = `$.images[${i}]`;
    const kp = keyProblem(img.key);
    if (kp)
      errors.push({
        file,
        path: `${at}.key`,
        message: `"${img.key}" ${kp}`,
        fix: FIELD_FIXES.key!,
      });
    if (!labelSet.has(img.label)) {
      errors.push({
        file,
        path: `${at}.label`,
        message: `"${img.label}" is not in the label set [${manifest.labels.join(", ")}]`,
        fix: "correct the label, or add the class to $.labels if it is really new",
      });
    }
    if (!allowedSplits.includes(img.split)) {
      errors.push({
        file,
        path: `${at}.split`,
        message: `"${img.split}" is not allowed in ${manifest.kind === "evaluation" ? "an" : "a"} ${manifest.kind} manifest`,
        fix: FIELD_FIXES.split!,
      });
    }
    const earlier = seenKeys.get(img.key);
    if (earlier !== undefined) {
      errors.push({
        file,
        path: `${at}.key`,
        message: `"${img.key}" is listed twice (also at $.images[${earlier}])`,
        fix: "remove the repeated entry",
      });
    } else seenKeys.set(img.key, i);
  });

  if (manifest.kind === "training") {
    if (!manifest.images.some((i) => i.split === "train")) {
      errors.push({
        file,
        path: "$.images",
        message: 'has no image with split "train"',
        fix: 'mark most images "train" and some "val"',
      });
    }
    if (!manifest.images.some((i) => i.split === "val")) {
      warnings.push({
        file,
        path: "$.images",
        message: 'has no image with split "val"; early stopping will use a slice of train',
        fix: 'mark about 15% of images "val"',
      });
    }
  }
  const used = new Set(manifest.images.map((i) => i.label));
  for (const label of manifest.labels) {
    if (!used.has(label))
      warnings.push({
        file,
        path: "$.labels",
        message: `label "${label}" has no images`,
        fix: "add images of it or accept that this manifest teaches nothing about it",
      });
  }
  return errors.length ? { errors, warnings } : { manifest, errors, warnings };
}

/** Problems of repeated keys in a manifest's text: JSON.parse would keep only the last value. */
export function duplicateKeyProblems(text: string, file: string): ManifestProblem[] {
  return duplicateKeys(text).map((d) => ({
    file,
    path: jsonPathOf(d.path),
    message: `repeats the key "${d.key}" (line ${d.line}; first at line ${d.firstLine}): JSON keeps only the last value, so a reviewer reading the first one sees something else than the pipeline uses`,
    fix: `keep one "${d.key}" in that object and delete the other`,
  }));
}

/** Reads, parses and validates a manifest file; throws `ManifestError` on any error. */
export async function readManifest(path: string): Promise<Manifest> {
  const fail = (message: string, fix: string, cause: unknown): never => {
    throw new ManifestError([{ file: path, path: "$", message, fix }], { cause });
  };
  const text = await readFile(path, "utf8").catch((cause: Error) =>
    fail(`cannot be read: ${cause.message}`, "check the path", cause),
  );
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (cause) {
    fail(
      `is not valid JSON: ${(cause as Error).message}`,
      "fix the JSON syntax (a linter or `node -e 'JSON.parse(...)'` shows where)",
      cause,
    );
  }
  const repeated = duplicateKeyProblems(text, path);
  if (repeated.length) throw new ManifestError(repeated);
  const { manifest, errors } = validateManifest(json, path);
  if (!manifest) throw new ManifestError(errors);
  return manifest;
}

/** sha256 of a manifest's bytes: how the registry records which data a model saw. */
export async function manifestSha256(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/** Serializes a manifest the way contributors are asked to commit it. */
export function stringifyManifest(manifest: Manifest): string {
  return JSON.stringify(manifest, null, 2) + "\n";
}
