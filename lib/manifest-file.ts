/**
 * Reading a manifest file: the only IO of manifests. `readManifest` refuses a key repeated
 * in the text, which JSON.parse would silently resolve to its last value, and a path that
 * is not a regular file (a link is never followed: its target's first bytes would reach the
 * report; a FIFO would hang the run). `manifestSha256` is the identity the registry records.
 */
import { createHash } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { open, readlink } from "node:fs/promises";
import { duplicateKeys, jsonPathOf } from "./json-keys.ts";
import {
  type Manifest,
  ManifestError,
  type ManifestProblem,
  validateManifest,
} from "./manifest.ts";

/** Problems of repeated keys in a manifest's text: JSON.parse would keep only the last value. */
export function duplicateKeyProblems(text: string, file: string): ManifestProblem[] {
  return duplicateKeys(text).map((d) => ({
    file,
    path: jsonPathOf(d.path),
    message: `repeats the key "${d.key}" (line ${d.line}; first at line ${d.firstLine}): JSON keeps only the last value, so a reviewer reading the first one sees something else than the pipeline uses`,
    fix: `keep one "${d.key}" in that object and delete the other`,
  }));
}

/** A manifest path that is a symbolic link, a FIFO, a socket or a device. */
export class NotAManifestFileError extends Error {
  constructor(
    readonly path: string,
    readonly kind: string,
  ) {
    super(
      kind === "symbolic link"
        ? `${path} is a symbolic link; a manifest is read only as the file itself, never through a link`
        : `${path} is not a regular file but a ${kind}`,
    );
    this.name = "NotAManifestFileError";
  }
}

function fileKind(info: Stats): string {
  if (info.isFIFO()) return "FIFO (named pipe)";
  if (info.isSocket()) return "socket";
  return info.isCharacterDevice() || info.isBlockDevice() ? "device" : "special file";
}

/**
 * The bytes of the manifest file at `path`. A symbolic link is not followed and a FIFO not
 * waited on (`NotAManifestFileError`): a committed link cannot make the runner read another
 * file, nor a FIFO hold it.
 */
export async function readManifestFile(path: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOOP")
      throw new NotAManifestFileError(path, "symbolic link");
    throw err;
  }
  try {
    const info = await handle.stat();
    // A folder fails to read with EISDIR, which says what it is.
    if (!info.isFile() && !info.isDirectory())
      throw new NotAManifestFileError(path, fileKind(info));
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Reads, parses and validates a manifest file; throws `ManifestError` on any error. */
export async function readManifest(path: string): Promise<Manifest> {
  const fail = (message: string, fix: string, cause: unknown): never => {
    throw new ManifestError([{ file: path, path: "$", message, fix }], { cause });
  };
  const text = await readManifestFile(path).then(
    (bytes) => bytes.toString("utf8"),
    (cause: Error) =>
      cause instanceof NotAManifestFileError
        ? fail(
            cause.message.slice(path.length + 1),
            cause.kind === "symbolic link"
              ? "commit the manifest file itself, not a link to it"
              : "give the path of the manifest file itself",
            cause,
          )
        : fail(`cannot be read: ${cause.message}`, "check the path", cause),
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

/**
 * sha256 of a manifest's bytes: how the registry records which data a model saw. A
 * symbolic link is hashed as git stores it (its target's path), never as the file it
 * points at; readManifest refuses it.
 */
export async function manifestSha256(path: string): Promise<string> {
  const bytes = await readManifestFile(path).catch(async (err: unknown) => {
    if (err instanceof NotAManifestFileError && err.kind === "symbolic link")
      return Buffer.from(await readlink(path));
    throw err;
  });
  return createHash("sha256").update(bytes).digest("hex");
}
