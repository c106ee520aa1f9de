/** Errors of the data plane, distinct so callers can report them as data findings. */

/** The object does not exist at `uri`. */
export class ObjectNotFoundError extends Error {
  constructor(
    readonly uri: string,
    options?: { cause?: unknown },
  ) {
    super(`object not found: ${uri}`, options);
    this.name = "ObjectNotFoundError";
  }
}

/** The object's bytes do not hash to the sha256 the manifest promised. */
export class ChecksumMismatchError extends Error {
  constructor(
    readonly uri: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`sha256 mismatch for ${uri}: manifest says ${expected}, the object hashes to ${actual}`);
    this.name = "ChecksumMismatchError";
  }
}

/** A key that would escape the store's base (absolute, '..', backslashes). */
export class InvalidKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid object key "${key}": ${reason}`);
    this.name = "InvalidKeyError";
  }
}

/**
 * A store could not be reached or refused an operation for a reason other than a missing
 * object (credentials, a missing bucket, a full disk). Names the operation and the URI so
 * the message alone says where to look; the backend's own error is the `cause`.
 */
export class StoreAccessError extends Error {
  constructor(
    readonly operation: string,
    readonly uri: string,
    options: { cause: unknown },
  ) {
    const detail =
      options.cause instanceof Error
        ? options.cause.message || options.cause.name
        : String(options.cause);
    super(`${operation} ${uri} failed: ${detail}`, options);
    this.name = "StoreAccessError";
  }
}

/**
 * The URI of `key` under `baseUri`, as error messages and reports name an object. The
 * base may or may not end in '/'; the key is joined with exactly one.
 */
export function objectUri(baseUri: string, key: string): string {
  return key === "" ? baseUri : `${baseUri.replace(/\/+$/, "")}/${key}`;
}
