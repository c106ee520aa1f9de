/**
 * The local-folder backend (`file:///abs/folder`): the embedded default, and what tests and
 * air-gapped runs use. It behaves like the S3 backend, so a pipeline moves between them by
 * changing a manifest's base URI.
 */
import { randomBytes } from "node:crypto";
import {
  copyFile,
  mkdir,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { baseUriProblem, keyProblem } from "../manifest.ts";
import { InvalidKeyError, ObjectNotFoundError, StoreAccessError, objectUri } from "./errors.ts";
import type { ObjectStore, StoredObject } from "./types.ts";

// Temp files of an atomic write sit next to their target (so rename stays on one file
// system); list() skips them so readers never see half-written objects.
const PARTIAL = /\.partial-[0-9a-f]{16}$/;

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

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * `realpath` of the deepest part of `path` that exists, with the rest appended: where the
 * path really points once symlinks are followed, even before the file is created.
 */
async function realpathOfExisting(path: string): Promise<string> {
  let rest = "";
  let current = path;
  for (;;) {
    try {
      return join(await realpath(current), rest);
    } catch (err) {
      const parent = dirname(current);
      if (!["ENOENT", "ENOTDIR"].includes(errnoCode(err) ?? "") || parent === current) throw err;
      rest = join(basename(current), rest);
      current = parent;
    }
  }
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** Keys in the order S3 lists them: by UTF-8 bytes, so both backends agree. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** An `ObjectStore` over a local folder. */
export class FileStore implements ObjectStore {
  /** The absolute folder the base URI names. */
  readonly root: string;

  /** Opens `file:///abs/folder`; the folder need not exist until the first put. */
  constructor(readonly baseUri: string) {
    const problem = baseUriProblem(baseUri);
    if (problem || !baseUri.startsWith("file:///")) {
      throw new Error(
        `cannot open "${baseUri}" as a local folder store: ${problem ?? "not a file:/// URI"}`,
      );
    }
    this.root = resolve(fileURLToPath(baseUri));
  }

  /**
   * The file a key lives in, after checking that neither the key's text nor a symlink on
   * the way takes it outside the folder.
   */
  async pathFor(key: string): Promise<string> {
    const problem = keyProblem(key);
    if (problem) throw new InvalidKeyError(key, problem);
    const path = join(this.root, ...key.split("/"));
    const [realRoot, realTarget] = await Promise.all([
      realpathOfExisting(this.root),
      realpathOfExisting(path),
    ]);
    if (!isInside(realTarget, realRoot)) {
      throw new InvalidKeyError(
        key,
        `resolves to ${realTarget}, outside the store folder ${realRoot} (a symlink?)`,
      );
    }
    return path;
  }

  async get(key: string): Promise<Buffer> {
    const path = await this.pathFor(key);
    try {
      return await readFile(path);
    } catch (cause) {
      throw this.failure("read", key, cause);
    }
  }

  async put(key: string, body: Buffer | Uint8Array, _contentType?: string): Promise<void> {
    const path = await this.pathFor(key);
    try {
      await writeFileAtomic(path, body);
    } catch (cause) {
      throw new StoreAccessError("write", objectUri(this.baseUri, key), { cause });
    }
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    const path = await this.pathFor(key);
    try {
      const info = await stat(path);
      return info.isFile() ? { size: info.size } : undefined;
    } catch (cause) {
      if (["ENOENT", "ENOTDIR"].includes(errnoCode(cause) ?? "")) return undefined;
      throw new StoreAccessError("stat", objectUri(this.baseUri, key), { cause });
    }
  }

  async *list(prefix = ""): AsyncIterable<StoredObject> {
    // A prefix need not end on a folder boundary ("images/ri" matches "images/ripe/1.jpg"),
    // so walk the folder that holds its last complete segment and filter.
    const folderPart = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
    const problem =
      folderPart === ""
        ? prefix.includes("\\")
          ? "contains a backslash"
          : undefined
        : keyProblem(folderPart);
    if (problem) throw new InvalidKeyError(prefix, `as a list prefix ${problem}`);
    const start = folderPart === "" ? this.root : await this.pathFor(folderPart);
    const realRoot = await realpathOfExisting(this.root);
    const found: StoredObject[] = [];
    await this.walk(start, folderPart, realRoot, found);
    found.sort((a, b) => compareKeys(a.key, b.key));
    for (const object of found) if (object.key.startsWith(prefix)) yield object;
  }

  private async walk(
    folder: string,
    keyPrefix: string,
    realRoot: string,
    out: StoredObject[],
  ): Promise<void> {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (cause) {
      if (["ENOENT", "ENOTDIR"].includes(errnoCode(cause) ?? "")) return;
      throw new StoreAccessError("list", objectUri(this.baseUri, keyPrefix), { cause });
    }
    for (const entry of entries) {
      if (PARTIAL.test(entry.name)) continue;
      const key = keyPrefix === "" ? entry.name : `${keyPrefix}/${entry.name}`;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        await this.walk(path, key, realRoot, out);
      } else if (entry.isFile()) {
        out.push({ key, size: (await stat(path)).size });
      } else if (entry.isSymbolicLink()) {
        // Listed only when it is a file inside the store, as get() would serve it; linked
        // folders are skipped so a link loop cannot make the walk endless.
        const target = await realpath(path).catch(() => undefined);
        const info = target && isInside(target, realRoot) ? await stat(target) : undefined;
        if (info?.isFile()) out.push({ key, size: info.size });
      }
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const [from, to] = await Promise.all([this.pathFor(fromKey), this.pathFor(toKey)]);
    await mkdir(dirname(to), { recursive: true }).catch((cause) => {
      throw new StoreAccessError("copy to", objectUri(this.baseUri, toKey), { cause });
    });
    const temp = `${to}.partial-${randomBytes(8).toString("hex")}`;
    try {
      await copyFile(from, temp);
      await rename(temp, to);
    } catch (cause) {
      await rm(temp, { force: true });
      throw this.failure("copy", fromKey, cause);
    }
  }

  private failure(operation: string, key: string, cause: unknown): Error {
    const uri = objectUri(this.baseUri, key);
    const code = errnoCode(cause);
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR")
      return new ObjectNotFoundError(uri, { cause });
    return new StoreAccessError(operation, uri, { cause });
  }
}
