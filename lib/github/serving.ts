/**
 * The serving location as the promote step sees it: where each artifact file is served
 * (`servingPlan`), the record `production.json` beside them, and whether the bytes at each
 * serving key are the ones the record names (`servingMismatches`: read back and hashed,
 * since a file of the right size can still be the wrong file).
 */
import { posix } from "node:path";
import { z } from "zod";
import { type ModelArtifact } from "../registry.ts";
import { artifactNameProblems } from "../artifact-names.ts";
import { ObjectNotFoundError, objectUri, sha256, type ObjectStore } from "../storage/index.ts";

/** `<serving dir>/production.json`: what the serving location holds, for the app and for reruns. */
export const ServingRecordSchema = z.object({
  model: z.string(),
  version: z.string(),
  /** The file at the stable key (the `.tflite`, else the first artifact file). */
  key: z.string(),
  sha256: z.string(),
  bytes: z.number().int(),
  source_uri: z.string(),
  promoted_at: z.string(),
  commit: z.string().optional(),
  files: z.array(
    z.object({
      name: z.string(),
      key: z.string(),
      sha256: z.string(),
      bytes: z.number().int(),
      source_uri: z.string(),
    }),
  ),
});
export type ServingRecord = z.infer<typeof ServingRecordSchema>;

/** One artifact file and the serving key it goes to. */
export interface PlannedFile {
  file: ModelArtifact["files"][number];
  key: string;
  primary: boolean;
}

/** The key of the serving record beside the stable key. */
export function servingRecordKey(servingKey: string): string {
  return `${posix.dirname(servingKey)}/production.json`;
}

/**
 * Pure: where each artifact file is served. The first `.tflite` goes to the stable key; the
 * rest keep their names beside it. Names must be plain and unique (see artifactNameProblems).
 */
export function servingPlan(artifact: ModelArtifact, servingKey: string): PlannedFile[] {
  const bad = artifactNameProblems(artifact.files);
  if (bad.length)
    throw new Error(
      `cannot place the artifact's files beside ${servingKey}: ${bad.map((p) => `${JSON.stringify(p.name)} ${p.problem}`).join("; ")} (fix: republish the artifact with plain, unique file names)`,
    );
  const dir = posix.dirname(servingKey);
  const primary = artifact.files.find((f) => f.name.endsWith(".tflite")) ?? artifact.files[0];
  return artifact.files.map((file) => {
    const isPrimary = file === primary;
    return {
      file,
      key: isPrimary && file.name.endsWith(".tflite") ? servingKey : `${dir}/${file.name}`,
      primary: isPrimary,
    };
  });
}

/** Pure: planned files that would land on another file's key, or on the serving record. */
export function servingKeyClashes(
  plan: PlannedFile[],
  servingKey: string,
): { file: PlannedFile["file"]; problem: string }[] {
  const recordKey = servingRecordKey(servingKey);
  const taken = new Map<string, string>();
  const clashes: { file: PlannedFile["file"]; problem: string }[] = [];
  for (const p of plan) {
    const other = taken.get(p.key);
    if (p.key === recordKey)
      clashes.push({
        file: p.file,
        problem: `would be served at ${p.key}, over the serving record`,
      });
    else if (other !== undefined)
      clashes.push({
        file: p.file,
        problem: `would be served at ${p.key}, where ${other} is served; rename it`,
      });
    else taken.set(p.key, p.file.name);
  }
  return clashes;
}

/** The serving record, or undefined when absent or unreadable (then every file is rewritten). */
export async function readServingRecord(
  store: ObjectStore,
  key: string,
): Promise<ServingRecord | undefined> {
  try {
    const parsed = ServingRecordSchema.safeParse(
      JSON.parse((await store.get(key)).toString("utf8")),
    );
    // An unreadable record means "unknown": the files are rewritten, which is always safe.
    return parsed.success ? parsed.data : undefined;
  } catch (err) {
    if (err instanceof ObjectNotFoundError || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Pure: whether the record names exactly the planned files for `version`, key by key and sha256 by sha256. */
export function recordMatchesPlan(
  record: ServingRecord,
  version: string,
  plan: PlannedFile[],
): boolean {
  return (
    record.version === version &&
    record.files.length === plan.length &&
    plan.every((p) => record.files.some((f) => f.key === p.key && f.sha256 === p.file.sha256))
  );
}

/** Planned files whose serving key is missing or holds bytes that do not hash to the file's sha256. */
export async function servingMismatches(
  store: ObjectStore,
  plan: PlannedFile[],
): Promise<{ planned: PlannedFile; uri: string; problem: string }[]> {
  const found: { planned: PlannedFile; uri: string; problem: string }[] = [];
  for (const planned of plan) {
    const uri = objectUri(store.baseUri, planned.key);
    let actual: string;
    try {
      actual = sha256(await store.get(planned.key));
    } catch (err) {
      if (!(err instanceof ObjectNotFoundError)) throw err;
      found.push({ planned, uri, problem: "missing" });
      continue;
    }
    if (actual !== planned.file.sha256)
      found.push({
        planned,
        uri,
        problem: `its bytes hash to ${actual}, not the recorded ${planned.file.sha256}`,
      });
  }
  return found;
}

/** Writes planned files from verified bytes (keyed by sha256), the stable key last. */
export async function writePlanned(
  store: ObjectStore,
  plan: PlannedFile[],
  verified: Map<string, Buffer>,
): Promise<void> {
  for (const p of [...plan].sort((a, b) => Number(a.primary) - Number(b.primary))) {
    const bytes = verified.get(p.file.sha256);
    if (!bytes) throw new Error(`no verified bytes for ${p.file.name} (sha256 ${p.file.sha256})`);
    await store.put(
      p.key,
      bytes,
      p.key.endsWith(".json") ? "application/json" : "application/octet-stream",
    );
  }
}
