/**
 * The object-store interface every data-plane backend implements. Keys are relative to
 * the store's base URI (a manifest's `base_uri`); a key can never reach outside it.
 */

/** An object listed under a prefix. */
export interface StoredObject {
  key: string;
  size: number;
}

/** A place images and model artifacts live: a local folder (file://) or an S3 prefix. */
export interface ObjectStore {
  /** The base URI this store was opened on, e.g. `file:///data/bucket` or `s3://b/prefix`. */
  readonly baseUri: string;
  /**
   * The object's bytes; throws `ObjectNotFoundError` when it does not exist, another data
   * error (errors.ts) when it cannot be served as an object (not a regular file, over the
   * size limit), and `StoreAccessError` on a fault of the store.
   */
  get(key: string): Promise<Buffer>;
  /** Writes (or overwrites) an object. */
  put(key: string, body: Buffer | Uint8Array, contentType?: string): Promise<void>;
  /** Size of the object, or undefined when it does not exist; refuses what `get` refuses. */
  head(key: string): Promise<{ size: number } | undefined>;
  /** Every object whose key starts with `prefix`, in key order, paging as needed. */
  list(prefix?: string): AsyncIterable<StoredObject>;
  /** Copies an object within the store (server-side where the backend can). */
  copy(fromKey: string, toKey: string): Promise<void>;
}
