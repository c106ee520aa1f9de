/**
 * The config's store sections: `s3` (the S3 client: region, endpoint, timeouts, attempts)
 * and `storage` (which local folders `file:///` stores may read, and the size of any one
 * object). lib/storage maps them (`s3SettingsOf`, `storeOpener`); app/services.ts passes
 * them to every store it opens.
 */
import { z } from "zod";
import { httpUrl } from "./config-checks.ts";

export const S3SettingsSchema = z.strictObject({
  region: z.string().default("us-east-1"),
  /** For S3-compatible stores (OCI Object Storage, MinIO): their endpoint URL. */
  endpoint: httpUrl("https://objectstorage.example.com").optional(),
  force_path_style: z.boolean().default(false),
  /** Establishing a connection; slower is a store fault (a run error to retry). */
  connect_timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
  /** One request, and any pause in a response body. */
  request_timeout_ms: z.number().int().min(100).max(3_600_000).default(60_000),
  /** Attempts per request, the first included (the SDK's own retries). */
  max_attempts: z.number().int().min(1).max(10).default(3),
});

/** Local (`file:///`) stores and the size of any one object. */
export const StorageSchema = z.strictObject({
  /**
   * Folders (absolute, or relative to the repository) a `file:///` base URI may lie in,
   * besides the repository and the system temp folder.
   */
  file_roots: z.array(z.string().min(1)).default([]),
  /** Objects larger than this are refused, from any store. */
  max_object_bytes: z
    .number()
    .int()
    .min(1024)
    .max(2 ** 34)
    .default(64 * 1024 * 1024),
  /** A local read, stat or write slower than this is a fault. */
  file_timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
});
