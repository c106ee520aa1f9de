/**
 * A manifest at the exact content a model version learned from. The registry's lineage
 * records each manifest by path and sha256 of its bytes; training on production's data
 * must read those bytes, not whatever the path holds today: an edited trained manifest is
 * new data that has to pass the data gate first, and a deleted or renamed one still
 * exists in git history. The working tree is used when it still holds the recorded bytes;
 * otherwise every version of the path in the repository's history (all refs) is searched.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { type Manifest } from "./manifest.ts";
import { manifestSha256, readManifest } from "./manifest-file.ts";
import { sha256 } from "./storage/index.ts";

const run = promisify(execFile);

/** The recorded content is nowhere: not in the working tree, not in git history. */
export class RecordedManifestMissingError extends Error {
  constructor(
    readonly path: string,
    readonly sha256: string,
    readonly version: string,
  ) {
    super(
      `${path}: the content ${version} learned from (sha256 ${sha256.slice(0, 12)}…) is neither in the working tree nor in this repository's git history, so training on production's data cannot read it (fix: fetch the full history, e.g. actions/checkout with fetch-depth: 0, or restore the file as it was when ${version} was trained)`,
    );
    this.name = "RecordedManifestMissingError";
  }
}

/** Every blob the path has had in the history of any ref, newest first. */
async function blobsOf(repoDir: string, path: string): Promise<string[]> {
  const { stdout } = await run(
    "git",
    ["log", "--all", "--format=", "--raw", "--no-abbrev", "--no-renames", "--", path],
    { cwd: repoDir, maxBuffer: 16 * 1024 * 1024 },
  );
  const blobs = new Set<string>();
  for (const line of stdout.split("\n")) {
    // ":100644 100644 <old blob> <new blob> M\t<path>"
    const m = line.match(/^:\d+ \d+ ([0-9a-f]{40,64}) ([0-9a-f]{40,64}) /);
    if (!m) continue;
    for (const blob of [m[2]!, m[1]!]) if (!/^0+$/.test(blob)) blobs.add(blob);
  }
  return [...blobs];
}

async function blobBytes(repoDir: string, blob: string): Promise<Buffer> {
  const { stdout } = await run("git", ["cat-file", "blob", blob], {
    cwd: repoDir,
    encoding: "buffer",
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** Where the recorded content was found. */
export interface RecordedManifest {
  manifest: Manifest;
  /** The file it was read from: the working tree's, or the copy in `scratchDir`. */
  file: string;
  /** "working tree", or the git blob id it was read from. */
  source: string;
}

/**
 * The manifest `path` as it was when `version` learned from it (its bytes hash to
 * `sha256`). Bytes found only in history are written to `scratchDir/<sha256>.json` and
 * read (and validated) from there like any manifest.
 */
export async function readRecordedManifest(opts: {
  repoDir: string;
  path: string;
  sha256: string;
  version: string;
  scratchDir: string;
}): Promise<RecordedManifest> {
  const abs = resolve(opts.repoDir, opts.path);
  // manifestSha256 hashes a link as the link: one swapped in is never read through.
  if (existsSync(abs) && (await manifestSha256(abs)) === opts.sha256)
    return { manifest: await readManifest(abs), file: abs, source: "working tree" };
  // Outside a git repository there is no history to search: the error below says so.
  const blobs = await blobsOf(opts.repoDir, opts.path).catch(() => [] as string[]);
  for (const blob of blobs) {
    const bytes = await blobBytes(opts.repoDir, blob);
    if (sha256(bytes) !== opts.sha256) continue;
    await mkdir(opts.scratchDir, { recursive: true });
    const copy = join(opts.scratchDir, `${opts.sha256}.json`);
    await writeFile(copy, bytes);
    return { manifest: await readManifest(copy), file: copy, source: `git blob ${blob}` };
  }
  throw new RecordedManifestMissingError(opts.path, opts.sha256, opts.version);
}
