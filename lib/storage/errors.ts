/**
 * Errors of the data plane, in two kinds. Data errors (`isDataError`) say something about
 * an object a manifest names: it is not there, has other bytes, is not a file, is too big,
 * or its key is invalid; the data gate reports them as findings of that image. A
 * `StoreAccessError` is a fault of the store (down, timing out, refusing credentials, a
 * missing bucket): it says nothing about the data, and aborts the run so it can be retried.
 */

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

/**
 * The object's bytes do not hash to the sha256 the manifest promised. The message names
 * the object, the promised hash and the size, never the actual hash: that would tell
 * whoever reads a report the hash of any file a manifest can point at. `actual` is kept
 * for code (not enumerable, so it is not printed with the error either).
 */
export class ChecksumMismatchError extends Error {
  declare readonly actual: string;

  constructor(
    readonly uri: string,
    readonly expected: string,
    actual: string,
    readonly size?: number,
  ) {
    const bytes = size === undefined ? "its bytes" : `its ${size} bytes`;
    super(
      `sha256 mismatch for ${uri}: the manifest says ${expected}; ${bytes} do not hash to that`,
    );
    Object.defineProperty(this, "actual", { value: actual, enumerable: false });
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

/** The key names something that is not a regular file: a folder, a FIFO, a device, a socket. */
export class NotRegularFileError extends Error {
  constructor(
    readonly uri: string,
    readonly kind: string,
  ) {
    super(`not a regular file: ${uri} is a ${kind}`);
    this.name = "NotRegularFileError";
  }
}

/** The object is larger than the store serves (`maxObjectBytes`). */
export class ObjectTooLargeError extends Error {
  constructor(
    readonly uri: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`${uri} is ${size} bytes, over the ${limit}-byte limit of objects the store serves`);
    this.name = "ObjectTooLargeError";
  }
}

/** An error that says something about the object itself, as opposed to a fault of the store. */
export type DataError =
  | ObjectNotFoundError
  | ChecksumMismatchError
  | InvalidKeyError
  | NotRegularFileError
  | ObjectTooLargeError;

/** Whether `err` is a data error (a finding of the image); anything else is a fault. */
export function isDataError(err: unknown): err is DataError {
  return (
    err instanceof ObjectNotFoundError ||
    err instanceof ChecksumMismatchError ||
    err instanceof InvalidKeyError ||
    err instanceof NotRegularFileError ||
    err instanceof ObjectTooLargeError
  );
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  // The first line: the SDK adds advice for its own users (where to find the raw response).
  const text = (cause.message || cause.name).split("\n")[0]!.replace(/\.+$/, "");
  const meta = (cause as { $metadata?: { attempts?: number; httpStatusCode?: number } }).$metadata;
  const attempts = meta?.attempts;
  // The status says what the store answered when its body (a 503's, say) was not S3's XML.
  const status = meta?.httpStatusCode && meta.httpStatusCode >= 400 ? meta.httpStatusCode : 0;
  // The SDK names a reset or broken connection TimeoutError too (so it retries it): say what it was.
  const code = (cause as { code?: unknown }).code;
  const reset = code === "ECONNRESET" || code === "EPIPE";
  const timedOut = cause.name === "TimeoutError" && !reset && !/timed? ?out/i.test(text);
  const what = status
    ? `HTTP ${status}: `
    : reset
      ? "the connection was reset: "
      : timedOut
        ? "timed out: "
        : "";
  return `${what}${text}${attempts && attempts > 1 ? ` (after ${attempts} attempts)` : ""}`;
}

/**
 * A store could not be reached or refused an operation for a reason other than the object
 * (credentials, a missing bucket, a timeout, a full disk). Names the operation and the
 * URI, and says that it is a fault to retry; the backend's own error is the `cause`.
 */
export class StoreAccessError extends Error {
  constructor(
    readonly operation: string,
    readonly uri: string,
    options: { cause: unknown },
  ) {
    super(
      `${operation} ${uri} failed: ${describeCause(options.cause)}. The store could not be used, which says nothing about the data: check that it is reachable (endpoint, bucket, credentials, network), then retry`,
      options,
    );
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
