/**
 * Promotion on merge: reconciles the serving location with the production pointer in git.
 * The pointer (read at the merge commit) names a version and its artifact files with their
 * sha256; every file is fetched from the content-addressed artifact store and verified
 * before anything is written, so a corrupt or tampered artifact changes nothing. Then the
 * files go to stable serving keys the app downloads from, and `production.json` beside
 * them is written last, as the record of what is served. Running it again is a no-op; a
 * reverted pointer serves the previous version the same way. With a GitHub client it also
 * tags the version and attaches its `.tflite` files to a release (see release.ts).
 */
import { posix } from "node:path";
import { z } from "zod";
import type { ModelArtifact, ProductionPointer } from "../registry.ts";
import { ObjectNotFoundError, objectUri, sha256, type ObjectStore } from "../storage/index.ts";
import type { GitHubClient } from "./client.ts";
import { publishRelease, type PublishedRelease } from "./release.ts";

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

/** Artifact files that failed verification; nothing was written. */
export class PromotionVerificationError extends Error {
  constructor(
    readonly version: string,
    readonly failures: { name: string; uri: string; problem: string }[],
  ) {
    super(
      `promotion of ${version} refused, serving location unchanged: ${failures.map((f) => `${f.name} (${f.uri}): ${f.problem}`).join("; ")} (fix: republish the artifact from its training run, or revert the pointer)`,
    );
    this.name = "PromotionVerificationError";
  }
}

/** Options of `promoteProduction`. */
export interface PromoteOptions {
  /** The production pointer at the merge commit; undefined before the first promotion. */
  readPointer: () => Promise<ProductionPointer | undefined>;
  artifactStore: ObjectStore;
  servingStore: ObjectStore;
  /** The stable key the app downloads the `.tflite` from, e.g. `<model>/production/model.tflite`. */
  servingKey: string;
  /** Tags and releases the version when given (needs `commit`). */
  client?: GitHubClient;
  /** The merge commit: tagged, and recorded in production.json. */
  commit?: string;
  /** Tag name; `<model>-vN` by default. */
  tag?: string;
  now?: () => Date;
  log?: (message: string) => void;
}

/** What the promote step did. */
export interface PromotionOutcome {
  version: string | undefined;
  /** The serving location was written (false: it already served this version, or no pointer). */
  changed: boolean;
  previousVersion: string | undefined;
  record: ServingRecord | undefined;
  release: PublishedRelease | undefined;
  notes: string[];
}

/** Pure: where each artifact file is served. The first `.tflite` goes to the stable key; the rest keep their names beside it. */
export function servingPlan(
  artifact: ModelArtifact,
  servingKey: string,
): { file: ModelArtifact["files"][number]; key: string; primary: boolean }[] {
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

/** Pure: the release notes of a version. */
export function renderReleaseNotes(pointer: ProductionPointer, record: ServingRecord): string {
  const rows = record.files.map((f) => `| ${f.name} | ${f.bytes} | \`${f.sha256}\` |`);
  return [
    `${pointer.model} ${pointer.version}, promoted by ${pointer.decided === "APPROVE" ? "the analyst's approval" : "a reviewer after human review"}.`,
    "",
    pointer.reason,
    "",
    "| file | bytes | sha256 |",
    "| --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}

function keyUnder(store: ObjectStore, uri: string): string | undefined {
  const base = store.baseUri.replace(/\/+$/, "");
  return uri.startsWith(`${base}/`) ? uri.slice(base.length + 1) : undefined;
}

/** Fetches and verifies every artifact file; throws PromotionVerificationError listing every failure. */
async function fetchVerifiedArtifact(
  store: ObjectStore,
  pointer: ProductionPointer,
): Promise<Map<string, Buffer>> {
  const bytes = new Map<string, Buffer>();
  const failures: { name: string; uri: string; problem: string }[] = [];
  for (const file of pointer.artifact.files) {
    const key = keyUnder(store, file.uri);
    if (key === undefined) {
      failures.push({
        name: file.name,
        uri: file.uri,
        problem: `not under the artifact store ${store.baseUri}`,
      });
      continue;
    }
    try {
      const data = await store.get(key);
      const actual = sha256(data);
      if (actual !== file.sha256)
        failures.push({
          name: file.name,
          uri: file.uri,
          problem: `sha256 ${actual}, the registry says ${file.sha256}`,
        });
      else bytes.set(file.name, data);
    } catch (err) {
      if (!(err instanceof ObjectNotFoundError)) throw err;
      failures.push({ name: file.name, uri: file.uri, problem: "missing from the artifact store" });
    }
  }
  if (failures.length) throw new PromotionVerificationError(pointer.version, failures);
  return bytes;
}

async function readServingRecord(
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

/** Reconciles serving with the pointer; tags and releases when a client is given. */
export async function promoteProduction(opts: PromoteOptions): Promise<PromotionOutcome> {
  const log = opts.log ?? (() => {});
  if (opts.client && !opts.commit)
    throw new Error(
      "promoteProduction: a GitHub client needs `commit` (the merge commit to tag, e.g. GITHUB_SHA)",
    );
  const pointer = await opts.readPointer();
  if (!pointer)
    return {
      version: undefined,
      changed: false,
      previousVersion: undefined,
      record: undefined,
      release: undefined,
      notes: ["no production pointer yet: nothing to serve"],
    };
  const notes: string[] = [];
  const verified = await fetchVerifiedArtifact(opts.artifactStore, pointer);
  const plan = servingPlan(pointer.artifact, opts.servingKey);
  const recordKey = `${posix.dirname(opts.servingKey)}/production.json`;
  const previous = await readServingRecord(opts.servingStore, recordKey);
  const inSync =
    previous?.version === pointer.version &&
    previous.files.length === plan.length &&
    plan.every((p) => previous.files.some((f) => f.key === p.key && f.sha256 === p.file.sha256)) &&
    (
      await Promise.all(
        plan.map(async (p) => (await opts.servingStore.head(p.key))?.size === p.file.bytes),
      )
    ).every(Boolean);

  const files = plan.map((p) => ({
    name: p.file.name,
    key: p.key,
    sha256: p.file.sha256,
    bytes: p.file.bytes,
    source_uri: p.file.uri,
  }));
  const primary = plan.find((p) => p.primary)!;
  const record: ServingRecord =
    previous && inSync
      ? previous
      : {
          model: pointer.model,
          version: pointer.version,
          key: primary.key,
          sha256: primary.file.sha256,
          bytes: primary.file.bytes,
          source_uri: primary.file.uri,
          promoted_at: (opts.now ?? (() => new Date()))().toISOString(),
          ...(opts.commit ? { commit: opts.commit } : {}),
          files,
        };
  if (!primary.file.name.endsWith(".tflite"))
    notes.push(
      `artifact of ${pointer.version} has no .tflite: ${opts.servingKey} was not written and may hold another version; production.json names what is served`,
    );
  if (inSync) {
    log(
      `promote: ${objectUri(opts.servingStore.baseUri, recordKey)} already serves ${pointer.version}; nothing to copy`,
    );
  } else {
    // The record goes last: until it is written, a reader still sees the old version's record.
    for (const p of [...plan].sort((a, b) => Number(a.primary) - Number(b.primary))) {
      await opts.servingStore.put(
        p.key,
        verified.get(p.file.name)!,
        p.key.endsWith(".json") ? "application/json" : "application/octet-stream",
      );
    }
    await opts.servingStore.put(
      recordKey,
      Buffer.from(JSON.stringify(record, null, 2) + "\n"),
      "application/json",
    );
    log(
      `promote: serving ${pointer.version} (${primary.file.sha256.slice(0, 12)}) at ${objectUri(opts.servingStore.baseUri, primary.key)}${previous ? `, was ${previous.version}` : ""}`,
    );
  }

  let release: PublishedRelease | undefined;
  if (opts.client && opts.commit) {
    const tflite = pointer.artifact.files.filter((f) => f.name.endsWith(".tflite"));
    if (!tflite.length)
      notes.push(`no .tflite in ${pointer.version}'s artifact: the release has no model asset`);
    release = await publishRelease(opts.client, {
      tag: opts.tag ?? `${pointer.model}-${pointer.version}`,
      commit: opts.commit,
      name: `${pointer.model} ${pointer.version}`,
      body: renderReleaseNotes(pointer, record),
      assets: tflite.map((f) => ({ name: f.name, bytes: verified.get(f.name)! })),
    });
    notes.push(...release.notes);
  }
  return {
    version: pointer.version,
    changed: !inSync,
    previousVersion: previous?.version,
    record,
    release,
    notes,
  };
}
