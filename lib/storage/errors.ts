/** Errors of the data plane, distinct so callers can report them as data findings. */

/** The object does not exist at `uri`. */
export class ObjectNotFoundError extends Error {
  constructor(readonly uri: string, options?: { cause?: unknown }) {
    super(`object not found: ${uri}`, options);
    this.name = "ObjectNotFoundError";
  }
}

/** The object's bytes do not hash to the sha256 the manifest promised. */
export class ChecksumMismatchError extends Error {
  constructor(readonly uri: string, readonly expected: string, readonly actual: string) {
    super(`sha256 mismatch for ${uri}: manifest says ${expected}, the object hashes to ${actual}`);
    this.name = "ChecksumMismatchError";
  }
}

/** A key that would escape the store's base (absolute, '..', backslashes). */
export class InvalidKeyError extends Error {
  constructor(readonly key: string, reason: string) {
    super(`invalid object key "${key}": ${reason}`);
    this.name = "InvalidKeyError";
  }
}
