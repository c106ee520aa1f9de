/**
 * Version numbers reserved atomically, one git ref a version: `refs/mlops/reserved/<model>/vN`
 * pointing at a blob that holds the run id. git creates a ref only if it is absent when
 * given an empty old value (a compare-and-swap), so of two runs racing for one number one
 * wins and the other takes the next. Reservations stay: a rejected candidate's number is
 * never reused for another model, and a resumed run finds its own. In Actions the
 * workflow's concurrency group serializes runs of a model across runners.
 */
import { git } from "./git.ts";

/** Reserved versions and the run that holds each. */
export async function reservations(repoDir: string, model: string): Promise<Map<string, string>> {
  const prefix = `refs/mlops/reserved/${model}/`;
  const out = await git(repoDir, [
    "for-each-ref",
    "--format=%(refname) %(objectname)",
    prefix,
  ]).catch(() => "");
  const held = new Map<string, string>();
  for (const line of out.split("\n").filter(Boolean)) {
    const [ref, blob] = line.split(" ");
    const runId = await git(repoDir, ["cat-file", "blob", blob!]).catch(() => "");
    held.set(ref!.slice(prefix.length), runId);
  }
  return held;
}

/** The version `runId` holds, or the next free one (`next()`), reserved for it. */
export async function reserveVersion(
  repoDir: string,
  model: string,
  runId: string,
  next: () => Promise<string>,
): Promise<string> {
  for (const [version, holder] of await reservations(repoDir, model))
    if (holder === runId) return version;
  const blob = await git(repoDir, ["hash-object", "-w", "--stdin"], { input: runId });
  for (let attempt = 0; attempt < 20; attempt++) {
    const version = await next();
    try {
      // The empty old value: create the ref only if it does not exist yet.
      await git(repoDir, ["update-ref", `refs/mlops/reserved/${model}/${version}`, blob, ""]);
      return version;
    } catch {
      // Another run reserved this number first: take the next one.
    }
  }
  throw new Error(
    `could not reserve a version number for run ${runId} after 20 tries (fix: look for runaway runs holding refs/mlops/reserved/${model}/*)`,
  );
}
