/**
 * The S3 backend (`s3://bucket/optional/prefix`) through `@aws-sdk/client-s3`. The
 * settings cover S3-compatible stores too (OCI Object Storage, MinIO, s3rver): an endpoint,
 * path-style addressing and static credentials.
 */
import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { baseUriProblem, keyProblem } from "../manifest.ts";
import { InvalidKeyError, ObjectNotFoundError, StoreAccessError, objectUri } from "./errors.ts";
import type { ObjectStore, StoredObject } from "./types.ts";

/** How to reach an S3 or S3-compatible service. */
export interface S3Settings {
  /** e.g. `https://<namespace>.compat.objectstorage.<region>.oraclecloud.com`; AWS when absent. */
  endpoint?: string;
  region: string;
  /** `https://host/bucket/key` instead of `https://bucket.host/key`; most non-AWS stores need it. */
  forcePathStyle: boolean;
  /** Static keys; the SDK's default chain (env, profile, instance role) when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Options of an `S3Store` beyond its client. */
export interface S3StoreOptions {
  /** MaxKeys per ListObjectsV2 page; S3's default (1000) when absent. Tests set it small. */
  pageSize?: number;
}

/**
 * Builds a client from settings, or from the SDK's defaults (region and credentials from
 * the environment) when there are none.
 */
export function createS3Client(settings?: S3Settings): S3Client {
  const config: S3ClientConfig = {
    // Since 3.729 the SDK adds CRC checksums to every upload and checks them on download;
    // several S3-compatible stores (OCI, older MinIO, s3rver) reject or omit them. Only
    // send them where the API requires it: integrity is checked by our own sha256 anyway.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
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

  /** Opens `s3://bucket/prefix` with a client the caller owns (and destroys). */
  constructor(
    readonly baseUri: string,
    readonly client: S3Client,
    options: S3StoreOptions = {},
  ) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Uri(baseUri));
    this.pageSize = options.pageSize;
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
    if (isNotFound(cause)) return new ObjectNotFoundError(this.uri(key), { cause });
    // The s3:// URI names the bucket and the full key, which is what an operator looks up.
    return new StoreAccessError(operation, this.uri(key), { cause });
  }

  async get(key: string): Promise<Buffer> {
    const Key = this.objectKey(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      if (!out.Body) throw new Error("the response had no body");
      return Buffer.from(await out.Body.transformToByteArray());
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
      return { size: out.ContentLength ?? 0 };
    } catch (cause) {
      if (isNotFound(cause)) return undefined;
      throw this.failure("HeadObject", key, cause);
    }
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
