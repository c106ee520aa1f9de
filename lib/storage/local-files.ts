/**
 * The local-file primitives the folder store and the cache share: atomic writes, where a
 * path really points, and a bounded read that serves regular files only (never a FIFO, a
 * device, a folder or a socket) under a size limit and a deadline.
 */
import { randomBytes } from "node:crypto";
import { constants, realpathSync, type Stats } from "node:fs";
import { mkdir, open, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path";
import {
  NotRegularFileError,
  ObjectNotFoundError,
  ObjectTooLargeError,
  StoreAccessError,
  isDataError,
} from "./errors.ts";

/** Objects a store serves at most, unless told otherwise: far above any photo or model file. */
export const DEFAULT_MAX_OBJECT_BYTES = 64 * 1024 * 1024;

/** How long one local read or stat may take before it is a fault (a hung network mount). */
export const DEFAULT_FILE_TIMEOUT_MS = 30_000;

/**
 * Writes `bytes` to `path` so that readers see either the old file or the whole new one,
 * never a torn write: a temp file in the same folder, then rename. Creates the folder.
 */
export async function writeFileAtomic(path: string, bytes: Buffer | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.partial-${randomBytes(8).toString("hex")}`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** The errno code of a Node error, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

const MISSING = ["ENOENT", "ENOTDIR"];

/**
 * `realpath` of the deepest part of `path` that exists, with the rest appended: where the
 * path really points once symlinks are followed, even before the file is created.
 */
export async function realpathOfExisting(path: string): Promise<string> {
  let rest = "";
  let current = path;
  for (;;) {
    try {
      return join(await realpath(current), rest);
    } catch (err) {
      const parent = dirname(current);
      if (!MISSING.includes(errnoCode(err) ?? "") || parent === current) throw err;
      rest = join(basename(current), rest);
      current = parent;
    }
  }
}

/** `realpathOfExisting`, synchronously (for constructors). */
export function realpathOfExistingSync(path: string): string {
  let rest = "";
  let current = path;
  for (;;) {
    try {
      return join(realpathSync(current), rest);
    } catch (err) {
      const parent = dirname(current);
      if (!MISSING.includes(errnoCode(err) ?? "") || parent === current) throw err;
      rest = join(basename(current), rest);
      current = parent;
    }
  }
}

/** Whether `path` is strictly inside the folder `root` (both absolute). */
export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** Whether `path` is `root` or inside it. */
export function isAtOrInside(path: string, root: string): boolean {
  return relative(root, path) === "" || isInside(path, root);
}

/** What a non-regular file is, in words. */
export function fileKind(info: Stats): string {
  if (info.isDirectory()) return "folder";
  if (info.isFIFO()) return "FIFO (named pipe)";
  if (info.isCharacterDevice() || info.isBlockDevice()) return "device";
  if (info.isSocket()) return "socket";
  return "special file";
}

/** Refuses anything but a regular file of at most `maxBytes`. */
export function checkRegularFile(info: Stats, uri: string, maxBytes: number): void {
  if (!info.isFile()) throw new NotRegularFileError(uri, fileKind(info));
  if (info.size > maxBytes) throw new ObjectTooLargeError(uri, info.size, maxBytes);
}

/**
 * Settles with `work`, or rejects with a `StoreAccessError` naming `operation` and `uri`
 * once `ms` have passed. The work is not cancelled (a hung file system cannot be), but the
 * run no longer waits for it.
 */
export async function withDeadline<T>(
  operation: string,
  uri: string,
  ms: number,
  work: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const cause = Object.assign(new Error(`no answer within ${ms} ms`), { name: "TimeoutError" });
      reject(new StoreAccessError(operation, uri, { cause }));
    }, ms);
  });
  try {
    return await Promise.race([work(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The bytes of the regular file at `path`, which reports name `uri`. Refuses a missing
 * file (`ObjectNotFoundError`), anything but a regular file (`NotRegularFileError`) and a
 * file over `maxBytes` (`ObjectTooLargeError`). The file is opened non-blocking and checked
 * again through its descriptor, so a FIFO swapped in after the first check is refused
 * rather than waited on; no more than its size at open is read. Other failures are a
 * `StoreAccessError` for `operation`.
 */
export async function readRegularFile(
  path: string,
  uri: string,
  maxBytes: number,
  operation = "read",
): Promise<Buffer> {
  let handle;
  try {
    checkRegularFile(await stat(path), uri, maxBytes);
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const info = await handle.stat();
    checkRegularFile(info, uri, maxBytes);
    const out = Buffer.allocUnsafe(info.size);
    let filled = 0;
    while (filled < out.length) {
      const { bytesRead } = await handle.read(out, filled, out.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === out.length ? out : out.subarray(0, filled);
  } catch (cause) {
    if (isDataError(cause)) throw cause;
    const code = errnoCode(cause);
    if (code && MISSING.includes(code)) throw new ObjectNotFoundError(uri, { cause });
    // open() of a socket fails with ENXIO; the file is not something a store serves.
    if (code === "ENXIO") throw new NotRegularFileError(uri, "socket or device");
    throw new StoreAccessError(operation, uri, { cause });
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
