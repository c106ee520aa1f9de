/**
 * Promotion on merge: reconciles the serving location with the production pointer in git.
 * The pointer (read at the merge commit) names a version and its artifact files with their
 * sha256; every file is fetched from the content-addressed artifact store and verified
 * before anything is written, so a corrupt or tampered artifact, or one whose file names are
 * not plain and unique, changes nothing. Then the files go to stable serving keys the app
 * downloads from, and `production.json` beside them is written last, as the record of what
 * is served. Running it again is a no-op when the bytes at every serving key hash to what
 * the record names; a file that does not is rewritten from the verified artifact, and the
 * outcome's notes say so. A reverted pointer serves the previous version the same way. With a GitHub client it also
 * tags the version and attaches its `.tflite` files to a release (see release.ts).
 */
import type { ProductionPointer } from "../registry.ts";
import { objectUri, type ObjectStore } from "../storage/index.ts";
import type { GitHubClient } from "./client.ts";
import { checkArtifactNames, fetchVerifiedArtifact } from "./promote-verify.ts";
import { publishRelease, type PublishedRelease } from "./release.ts";
import {
  readServingRecord,
  recordMatchesPlan,
  servingMismatches,
  servingPlan,
  servingRecordKey,
  writePlanned,
  type ServingRecord,
} from "./serving.ts";

export { PromotionVerificationError, type VerificationFailure } from "./promote-verify.ts";
export { ServingRecordSchema, servingPlan, type ServingRecord } from "./serving.ts";

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
  checkArtifactNames(pointer, opts.servingKey);
  const verified = await fetchVerifiedArtifact(opts.artifactStore, pointer);
  const plan = servingPlan(pointer.artifact, opts.servingKey);
  const recordKey = servingRecordKey(opts.servingKey);
  const recordUri = objectUri(opts.servingStore.baseUri, recordKey);
  const previous = await readServingRecord(opts.servingStore, recordKey);
  // In sync only when the record names this version's files and the bytes at every key
  // hash to what it names: a file of the right size can still be the wrong file.
  const recorded =
    previous && recordMatchesPlan(previous, pointer.version, plan) ? previous : undefined;
  const drifted = recorded ? await servingMismatches(opts.servingStore, plan) : [];
  const inSync = recorded !== undefined && !drifted.length;

  const primary = plan.find((p) => p.primary)!;
  const record: ServingRecord = recorded ?? {
    model: pointer.model,
    version: pointer.version,
    key: primary.key,
    sha256: primary.file.sha256,
    bytes: primary.file.bytes,
    source_uri: primary.file.uri,
    promoted_at: (opts.now ?? (() => new Date()))().toISOString(),
    ...(opts.commit ? { commit: opts.commit } : {}),
    files: plan.map((p) => ({
      name: p.file.name,
      key: p.key,
      sha256: p.file.sha256,
      bytes: p.file.bytes,
      source_uri: p.file.uri,
    })),
  };
  if (!primary.file.name.endsWith(".tflite"))
    notes.push(
      `artifact of ${pointer.version} has no .tflite: ${opts.servingKey} was not written and may hold another version; production.json names what is served`,
    );
  if (inSync) {
    log(`promote: ${recordUri} already serves ${pointer.version}; nothing to copy`);
  } else if (recorded) {
    // The record is right and stays; only the files that are not its bytes are rewritten,
    // the stable key last.
    drifted.sort((a, b) => Number(a.planned.primary) - Number(b.planned.primary));
    await writePlanned(
      opts.servingStore,
      drifted.map((d) => d.planned),
      verified,
    );
    for (const d of drifted) {
      const note = `repaired ${d.uri}: ${d.problem}; rewritten from the verified artifact of ${pointer.version}`;
      notes.push(note);
      log(`promote: ${note}`);
    }
  } else {
    // The record goes last: until it is written, a reader still sees the old version's record.
    await writePlanned(opts.servingStore, plan, verified);
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
      assets: tflite.map((f) => ({
        name: f.name,
        sha256: f.sha256,
        bytes: verified.get(f.sha256)!,
      })),
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
