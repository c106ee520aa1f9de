/**
 * What the promote step checks before it writes anything: that the artifact's file names
 * are plain and unique and each lands on a serving key of its own, and that every file's
 * bytes in the artifact store hash to the sha256 the pointer records. Any failure is a
 * PromotionVerificationError listing every problem, and nothing is written.
 */
import { type ProductionPointer } from "../registry.ts";
import { artifactNameProblems } from "../artifact-names.ts";
import { isDataError, ObjectNotFoundError, sha256, type ObjectStore } from "../storage/index.ts";
import { servingKeyClashes, servingPlan } from "./serving.ts";

/** One artifact file that failed verification. */
export interface VerificationFailure {
  name: string;
  uri: string;
  problem: string;
}

/** Artifact files that failed verification; nothing was written. */
export class PromotionVerificationError extends Error {
  constructor(
    readonly version: string,
    readonly failures: VerificationFailure[],
  ) {
    super(
      `promotion of ${version} refused, serving location unchanged: ${failures.map((f) => `${f.name} (${f.uri}): ${f.problem}`).join("; ")} (fix: republish the artifact from its training run, or revert the pointer)`,
    );
    this.name = "PromotionVerificationError";
  }
}

/** Refuses names that are not plain, unique file names, or that would share a serving key. */
export function checkArtifactNames(pointer: ProductionPointer, servingKey: string): void {
  const { files } = pointer.artifact;
  const named = artifactNameProblems(files).map((p) => ({
    name: JSON.stringify(p.name),
    uri: files[p.index]!.uri,
    problem: `${p.problem}; names must be plain, unique file names`,
  }));
  if (named.length) throw new PromotionVerificationError(pointer.version, named);
  const clashes = servingKeyClashes(servingPlan(pointer.artifact, servingKey), servingKey).map(
    (c) => ({ name: JSON.stringify(c.file.name), uri: c.file.uri, problem: c.problem }),
  );
  if (clashes.length) throw new PromotionVerificationError(pointer.version, clashes);
}

function keyUnder(store: ObjectStore, uri: string): string | undefined {
  const base = store.baseUri.replace(/\/+$/, "");
  return uri.startsWith(`${base}/`) ? uri.slice(base.length + 1) : undefined;
}

/**
 * Fetches and verifies every artifact file; the bytes come back keyed by sha256, so the
 * bytes written are always the ones whose hash the pointer records. Throws
 * PromotionVerificationError listing every failure.
 */
export async function fetchVerifiedArtifact(
  store: ObjectStore,
  pointer: ProductionPointer,
): Promise<Map<string, Buffer>> {
  const bytes = new Map<string, Buffer>();
  const failures: VerificationFailure[] = [];
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
      else bytes.set(actual, data);
    } catch (err) {
      // A key that climbs out of the store, a folder, an object over the limit: the
      // pointer names something that is not a verified file, like a missing one.
      if (!isDataError(err)) throw err;
      const problem =
        err instanceof ObjectNotFoundError ? "missing from the artifact store" : err.message;
      failures.push({ name: file.name, uri: file.uri, problem });
    }
  }
  if (failures.length) throw new PromotionVerificationError(pointer.version, failures);
  return bytes;
}
