/**
 * The local-folder backend (`file:///abs/folder`): the embedded default, and what tests and
 * air-gapped runs use. It behaves like the S3 backend, so a pipeline moves between them by
 * changing a manifest's base URI. Since a manifest names its base URI, the store opens
 * only folders under the allowed roots, and serves only regular files, under a size limit
 * and a deadline: a manifest cannot make the runner read a device, wait on a FIFO or
 * report on files outside the data folders.
 */
import { readdir, realpath, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { baseUriProblem, keyProblem } from "../manifest.ts";
import { InvalidKeyError, StoreAccessError, objectUri } from "./errors.ts";
import {
  DEFAULT_FILE_TIMEOUT_MS,
  DEFAULT_MAX_OBJECT_BYTES,
  checkRegularFile,
  errnoCode,
  isAtOrInside,
  isInside,
  readRegularFile,
  realpathOfExisting,
  realpathOfExistingSync,
  withDeadline,
  writeFileAtomic,
} from "./local-files.ts";
import type { ObjectStore, StoredObject } from "./types.ts";

export { writeFileAtomic } from "./local-files.ts";

// Temp files of an atomic write sit next to their target (so rename stays on one file
// system); list() skips them so readers never see half-written objects.
const PARTIAL = /\.partial-[0-9a-f]{16}$/;

/** Options of a `FileStore`. */
export interface FileStoreOptions {
  /** Folders a base URI must lie in (default: `defaultFileRoots()`). */
  roots?: readonly string[];
  /** Objects larger than this are refused (default 64 MiB). */
  maxObjectBytes?: number;
  /** A read, stat or write slower than this is a fault (default 30 s). */
  timeoutMs?: number;
}

/** The roots when none are configured: the working folder and the system temp folder. */
export function defaultFileRoots(): string[] {
  return [process.cwd(), tmpdir()];
}

/** Keys in the order S3 lists them: by UTF-8 bytes, so both backends agree. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** An `ObjectStore` over a local folder. */
export class FileStore implements ObjectStore {
  /** The absolute folder the base URI names. */
  readonly root: string;
  /** The allowed roots, symlinks resolved. */
  private readonly roots: string[];
  private readonly maxObjectBytes: number;
  private readonly timeoutMs: number;

  /**
   * Opens `file:///abs/folder`; the folder need not exist until the first put. Refuses a
   * folder outside the allowed roots, naming them and how to allow another.
   */
  constructor(
    readonly baseUri: string,
    options: FileStoreOptions = {},
  ) {
    const problem = baseUriProblem(baseUri);
    if (problem || !baseUri.startsWith("file:///")) {
      throw new Error(
        `cannot open "${baseUri}" as a local folder store: ${problem ?? "not a file:/// URI"}`,
      );
    }
    this.root = resolve(fileURLToPath(baseUri));
    this.maxObjectBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_FILE_TIMEOUT_MS;
    const roots = options.roots ?? defaultFileRoots();
    this.roots = roots.map((r) => realpathOfExistingSync(resolve(r)));
    const real = realpathOfExistingSync(this.root);
    if (!this.allowed(real)) {
      throw new Error(
        `cannot open "${baseUri}" as a local folder store: ${real} is outside the folders local stores may read (${roots.join(", ")}) (fix: keep the data under one of them, or add its folder to storage.file_roots in mlops.config.json in its own reviewed change)`,
      );
    }
  }

  private allowed(realPath: string): boolean {
    return this.roots.some((r) => isAtOrInside(realPath, r));
  }

  private uri(key: string): string {
    return objectUri(this.baseUri, key);
  }

  /**
   * The file a key lives in, after checking that neither the key's text nor a symlink on
   * the way takes it outside the folder (or the folder outside the allowed roots).
   */
  async pathFor(key: string): Promise<string> {
    const problem = keyProblem(key);
    if (problem) throw new InvalidKeyError(key, problem);
    const path = join(this.root, ...key.split("/"));
    let realRoot: string;
    let realTarget: string;
    try {
      [realRoot, realTarget] = await Promise.all([
        realpathOfExisting(this.root),
        realpathOfExisting(path),
      ]);
    } catch (cause) {
      if (errnoCode(cause) === "ELOOP") throw new InvalidKeyError(key, "is a symlink loop");
      throw new StoreAccessError("resolve", this.uri(key), { cause });
    }
    if (!this.allowed(realRoot)) {
      throw new InvalidKeyError(
        key,
        `the store folder now resolves to ${realRoot}, outside the folders local stores may read`,
      );
    }
    if (!isInside(realTarget, realRoot)) {
      throw new InvalidKeyError(
        key,
        `resolves to ${realTarget}, outside the store folder ${realRoot} (a symlink?)`,
      );
    }
    return path;
  }

  /** Runs `work` for `key` under the store's deadline. */
  private timed<T>(operation: string, key: string, work: () => Promise<T>): Promise<T> {
    return withDeadline(operation, this.uri(key), this.timeoutMs, work);
  }

  async get(key: string): Promise<Buffer> {
    return this.timed("read", key, async () =>
      readRegularFile(await this.pathFor(key), this.uri(key), this.maxObjectBytes),
    );
  }

  async put(key: string, body: Buffer | Uint8Array, _contentType?: string): Promise<void> {
    return this.timed("write", key, async () => {
      const path = await this.pathFor(key);
      try {
        await writeFileAtomic(path, body);
      } catch (cause) {
        throw new StoreAccessError("write", this.uri(key), { cause });
      }
    });
  }

  /** The object's size; refuses what `get` would refuse (not a regular file, too large). */
  async head(key: string): Promise<{ size: number } | undefined> {
    return this.timed("stat", key, async () => {
      const path = await this.pathFor(key);
      let info;
      try {
        info = await stat(path);
      } catch (cause) {
        if (["ENOENT", "ENOTDIR"].includes(errnoCode(cause) ?? "")) return undefined;
        throw new StoreAccessError("stat", this.uri(key), { cause });
      }
      checkRegularFile(info, this.uri(key), this.maxObjectBytes);
      return { size: info.size };
    });
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

  /** Copies through a bounded read, so a copy serves no more than `get` would. */
  async copy(fromKey: string, toKey: string): Promise<void> {
    await this.pathFor(toKey);
    const bytes = await this.get(fromKey);
    await this.timed("copy to", toKey, async () => {
      const to = await this.pathFor(toKey);
      await writeFileAtomic(to, bytes).catch((cause: unknown) => {
        throw new StoreAccessError("copy to", this.uri(toKey), { cause });
      });
    });
  }
}
