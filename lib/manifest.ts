/**
 * Dataset manifests: the JSON files contributors commit under `data-manifests/`.
 *
 * A manifest lists images that live under one base URI (a local folder or an S3 prefix),
 * each with its label, sha256 and split. Validation is pure (`validateManifest`); reading
 * a manifest file is lib/manifest-file.ts. Every
 * problem names the file, the JSON path, what is wrong and how to fix it; keys and URIs are
 * quoted as JSON text, so no control character of a manifest reaches a terminal or a log.
 */
import { z } from "zod";
import { jsonPathOf } from "./json-keys.ts";

/** The manifest format version this code reads and writes. */
export const MANIFEST_SCHEMA_VERSION = 1;

// C0 controls, DEL and the 8-bit C1 controls (a terminal takes U+009B as CSI).
// eslint-disable-next-line no-control-regex -- control characters are exactly what this finds
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const SHA256 = /^[0-9a-f]{64}$/;
const LABEL = /^[a-z][a-z0-9_]*$/;

/** Tag keys: lowercase words, like labels (`farm`, `camera`, `lighting`). */
const TAG_KEY = /^[a-z][a-z0-9_]{0,31}$/;
const TAG_KEY_MESSAGE =
  "tag keys are lowercase words: a-z first, then a-z, 0-9 or '_', 32 characters at most";
/** Most tags one image may carry. */
export const MAX_IMAGE_TAGS = 16;
/** Longest tag value, in characters. */
export const MAX_TAG_VALUE_LENGTH = 64;

/**
 * What an image was taken under (`{"farm": "farm-a", "lighting": "shade"}`): the slices
 * analyze_performance reports the evaluation set by. Keys are short lowercase words; values
 * short text on one line, without control characters or surrounding spaces.
 */
export const ImageTagsSchema = z
  .record(
    z.string().regex(TAG_KEY, TAG_KEY_MESSAGE),
    z
      .string()
      .min(1, "a tag value cannot be empty")
      .max(MAX_TAG_VALUE_LENGTH, `tag values are ${MAX_TAG_VALUE_LENGTH} characters at most`)
      .refine(
        (v) => !CONTROL.test(v) && !/[\u2028\u2029]/.test(v),
        "tag values are one line of text without control characters",
      )
      .refine((v) => v.trim() === v, "tag values cannot start or end with a space"),
    { error: (issue) => (issue.code === "invalid_key" ? TAG_KEY_MESSAGE : undefined) },
  )
  .refine(
    (t) => Object.keys(t).length <= MAX_IMAGE_TAGS,
    `an image has ${MAX_IMAGE_TAGS} tags at most`,
  );

/** One image of a manifest. `key` is relative to the manifest's `base_uri`. */
export const ManifestImageSchema = z.strictObject({
  key: z.string().min(1),
  label: z.string().min(1),
  sha256: z
    .string()
    .regex(SHA256, "must be 64 lowercase hex characters (sha256 of the file's bytes)"),
  split: z.enum(["train", "val", "eval"]),
  /** Optional slices of the evaluation set (farm, camera, lighting, or any key of yours). */
  tags: ImageTagsSchema.optional(),
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
  tags: 'give short tags such as {"farm": "farm-a", "lighting": "shade"}',
};

function fixFor(path: ReadonlyArray<PropertyKey>): string {
  if (path.includes("tags")) return FIELD_FIXES.tags!;
  const last = [...path].reverse().find((p) => typeof p === "string");
  return (last && FIELD_FIXES[String(last)]) ?? "see data-manifests/README.md for the format";
}

/**
 * A key or URI as a message quotes it: JSON text, with DEL, the C1 controls and the line
 * separators escaped too, so it can neither move a terminal's cursor nor start a log line.
 */
function quoted(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Why a key cannot be used under a base URI, or undefined when it can. */
export function keyProblem(key: string): string | undefined {
  if (key.startsWith("/")) return "is absolute; keys are relative to base_uri";
  if (key.includes("\\")) return "contains a backslash; use '/' between folders";
  if (key.split("/").some((part) => part === ".." || part === "." || part === "")) {
    return "has an empty, '.' or '..' segment and so would point outside base_uri";
  }
  if (CONTROL.test(key)) return "contains control characters";
  return undefined;
}

/** Why a base URI is unusable, or undefined when it is fine. */
export function baseUriProblem(uri: string): string | undefined {
  if (uri.startsWith("file:///"))
    return CONTROL.test(uri) ? "contains control characters" : undefined;
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
      message: `${quoted(manifest.base_uri)} ${uriProblem}`,
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
        message: `${quoted(img.key)} ${kp}`,
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
        message: `${quoted(img.key)} is listed twice (also at $.images[${earlier}])`,
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

/** Serializes a manifest the way contributors are asked to commit it. */
export function stringifyManifest(manifest: Manifest): string {
  return JSON.stringify(manifest, null, 2) + "\n";
}
