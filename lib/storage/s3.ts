/**
 * The S3 backend (`s3://bucket/optional/prefix`) through `@aws-sdk/client-s3`. The
 * settings cover S3-compatible stores too (OCI Object Storage, MinIO, s3rver): an endpoint,
 * path-style addressing and static credentials. Every request has a connect and a request
 * timeout and a bounded number of attempts (the SDK's own handler and retry options), so a
 * store that accepts and never answers fails the run instead of holding it.
 */
import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { baseUriProblem, keyProblem } from "../manifest.ts";
import {
  InvalidKeyError,
  ObjectNotFoundError,
  ObjectTooLargeError,
  StoreAccessError,
  isDataError,
  objectUri,
} from "./errors.ts";
import { DEFAULT_MAX_OBJECT_BYTES } from "./local-files.ts";
import type { ObjectStore, StoredObject } from "./types.ts";

/** Timeouts and attempts when the settings name none. */
export const S3_DEFAULTS = {
  /** Establishing the TCP (and TLS) connection. */
  connectTimeoutMs: 10_000,
  /** From sending a request to its response headers, and any silence while the body streams. */
  requestTimeoutMs: 60_000,
  /** Attempts per request, the first included (the SDK retries 5xx, throttling, resets, timeouts). */
  maxAttempts: 3,
} as const;

/** How to reach an S3 or S3-compatible service. */
export interface S3Settings {
  /** e.g. `https://<namespace>.compat.objectstorage.<region>.oraclecloud.com`; AWS when absent. */
  endpoint?: string;
  region: string;
  /** `https://host/bucket/key` instead of `https://bucket.host/key`; most non-AWS stores need it. */
  forcePathStyle: boolean;
  /** Static keys; the SDK's default chain (env, profile, instance role) when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** See `S3_DEFAULTS`. */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  maxAttempts?: number;
}

/** Options of an `S3Store` beyond its client. */
export interface S3StoreOptions {
  /** MaxKeys per ListObjectsV2 page; S3's default (1000) when absent. Tests set it small. */
  pageSize?: number;
  /** Objects larger than this are refused (default 64 MiB). */
  maxObjectBytes?: number;
}

/**
 * Builds a client from settings, or from the SDK's defaults (region and credentials from
 * the environment) when there are none; the timeouts and attempts of `S3_DEFAULTS` either
 * way unless the settings name others.
 */
export function createS3Client(settings?: S3Settings): S3Client {
  const requestTimeout = settings?.requestTimeoutMs ?? S3_DEFAULTS.requestTimeoutMs;
  const config: S3ClientConfig = {
    // Since 3.729 the SDK adds CRC checksums to every upload and checks them on download;
    // several S3-compatible stores (OCI, older MinIO, s3rver) reject or omit them. Only
    // send them where the API requires it: integrity is checked by our own sha256 anyway.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: settings?.maxAttempts ?? S3_DEFAULTS.maxAttempts,
    // The Node handler's own options. Its requestTimeout only warns unless told to throw,
    // and stops at the response headers; socketTimeout also covers a body that stalls.
    requestHandler: {
      connectionTimeout: settings?.connectTimeoutMs ?? S3_DEFAULTS.connectTimeoutMs,
      requestTimeout,
      throwOnRequestTimeout: true,
      socketTimeout: requestTimeout,
    },
  };
  if (settings) {
    config.region = settings.region;
    config.forcePathStyle = settings.forcePathStyle;
    if (settings.endpoint) config.endpoint = settings.endpoint;
    if (settings.credentials) config.credentials = settings.credentials;
  }
  return new S3Client(config);
}

/** Splits `s3://bucket/a/b` into the bucket and the key prefix (`a/b/`, or "" at the root). */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const problem = baseUriProblem(uri);
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (problem || !match?.[1])
    throw new Error(`cannot open "${uri}" as an S3 store: ${problem ?? "not an s3:// URI"}`);
  const path = (match[2] ?? "").replace(/\/+$/, "");
  const pathProblem = path === "" ? undefined : keyProblem(path);
  if (pathProblem)
    throw new Error(`cannot open "${uri}" as an S3 store: its prefix "${path}" ${pathProblem}`);
  return { bucket: match[1], prefix: path === "" ? "" : `${path}/` };
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  // HeadObject answers a bare 404 (no body, so no error code); a missing bucket is not a
  // missing object and is reported as an access failure instead.
  if (e?.name === "NoSuchBucket") return false;
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}

/** An `ObjectStore` over a bucket, optionally confined to a key prefix. */
export class S3Store implements ObjectStore {
  readonly bucket: string;
  /** Prepended to every key: "" or ends in '/'. */
  readonly prefix: string;
  private readonly pageSize: number | undefined;
  private readonly maxObjectBytes: number;
  /** Set once HeadBucket has shown the bucket exists (a bare 404 does not say which is missing). */
  private bucketSeen = false;

  /** Opens `s3://bucket/prefix` with a client the caller owns (and destroys). */
  constructor(
    readonly baseUri: string,
    readonly client: S3Client,
    options: S3StoreOptions = {},
  ) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Uri(baseUri));
    this.pageSize = options.pageSize;
    this.maxObjectBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  }

  /** Opens `s3://bucket/prefix` with a new client built from `settings`. */
  static fromSettings(baseUri: string, settings?: S3Settings, options?: S3StoreOptions): S3Store {
    return new S3Store(baseUri, createS3Client(settings), options);
  }

  private objectKey(key: string): string {
    const problem = keyProblem(key);
    if (problem) throw new InvalidKeyError(key, problem);
    return this.prefix + key;
  }

  private uri(key: string): string {
    return objectUri(this.baseUri, key);
  }

  private failure(operation: string, key: string, cause: unknown): Error {
    if (isDataError(cause)) return cause;
    if (isNotFound(cause)) return new ObjectNotFoundError(this.uri(key), { cause });
    // The s3:// URI names the bucket and the full key, which is what an operator looks up.
    return new StoreAccessError(operation, this.uri(key), { cause });
  }

  async get(key: string): Promise<Buffer> {
    const Key = this.objectKey(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      if (!out.Body) throw new Error("the response had no body");
      // In Node the body is the response stream: read it under the limit, never past it.
      const body = out.Body as unknown as AsyncIterable<Uint8Array> & { destroy(): void };
      const tooLarge = (size: number) => {
        body.destroy();
        return new ObjectTooLargeError(this.uri(key), size, this.maxObjectBytes);
      };
      if ((out.ContentLength ?? 0) > this.maxObjectBytes) throw tooLarge(out.ContentLength!);
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of body) {
        size += chunk.byteLength;
        if (size > this.maxObjectBytes) throw tooLarge(size);
        chunks.push(chunk);
      }
      return Buffer.concat(chunks, size);
    } catch (cause) {
      throw this.failure("GetObject", key, cause);
    }
  }

  async put(key: string, body: Buffer | Uint8Array, contentType?: string): Promise<void> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key,
          Body: body,
          ContentLength: body.byteLength,
          ContentType: contentType,
        }),
      );
    } catch (cause) {
      throw new StoreAccessError("PutObject", this.uri(key), { cause });
    }
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    const Key = this.objectKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      const size = out.ContentLength ?? 0;
      if (size > this.maxObjectBytes)
        throw new ObjectTooLargeError(this.uri(key), size, this.maxObjectBytes);
      return { size };
    } catch (cause) {
      if (!isNotFound(cause)) throw this.failure("HeadObject", key, cause);
    }
    await this.confirmBucket(key);
    return undefined;
  }

  /**
   * After a HeadObject 404: throws a `StoreAccessError` when the bucket is what is missing
   * (HeadObject answers a bare 404 either way). A 403 still shows the bucket exists.
   */
  private async confirmBucket(key: string): Promise<void> {
    if (this.bucketSeen) return;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (cause) {
      const status = (cause as { $metadata?: { httpStatusCode?: number } }).$metadata
        ?.httpStatusCode;
      if (status === 404)
        throw new StoreAccessError("HeadObject", this.uri(key), {
          cause: new Error(`the bucket "${this.bucket}" does not exist`, { cause }),
        });
      if (status !== 403)
        throw new StoreAccessError("HeadBucket", `s3://${this.bucket}`, { cause });
    }
    this.bucketSeen = true;
  }

  async *list(prefix = ""): AsyncIterable<StoredObject> {
    if (
      prefix.startsWith("/") ||
      prefix.includes("\\") ||
      prefix.split("/").some((p) => p === "..")
    ) {
      throw new InvalidKeyError(
        prefix,
        "as a list prefix would point outside the store's base URI",
      );
    }
    let ContinuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ContinuationToken,
            MaxKeys: this.pageSize,
          }),
        );
      } catch (cause) {
        throw new StoreAccessError("ListObjectsV2", this.uri(prefix), { cause });
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key.slice(this.prefix.length), size: object.Size ?? 0 };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const from = this.objectKey(fromKey);
    const Key = this.objectKey(toKey);
    // CopySource is "bucket/key", URL-encoded; '/' between segments stays literal.
    const CopySource = `${this.bucket}/${from.split("/").map(encodeURIComponent).join("/")}`;
    try {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key, CopySource }));
    } catch (cause) {
      throw this.failure(`CopyObject to ${this.uri(toKey)} from`, fromKey, cause);
    }
  }
}
