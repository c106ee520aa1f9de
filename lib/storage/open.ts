/**
 * Opens the store a base URI names, so callers (manifest checks, the worker, promotion)
 * never branch on the scheme themselves.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { FileStore } from "./file.ts";
import { S3Store, type S3Settings, type S3StoreOptions } from "./s3.ts";
import type { ObjectStore } from "./types.ts";

/** Extras beyond the S3 settings. */
export interface OpenStoreOptions extends S3StoreOptions {
  /** A client to use instead of building one from the settings (tests, a shared pool). */
  s3Client?: S3Client;
  /**
   * Folders a `file:///` base URI must lie in (default: the working folder and the system
   * temp folder, see `defaultFileRoots`).
   */
  fileRoots?: readonly string[];
  /** A local read, stat or write slower than this is a fault (default 30 s). */
  fileTimeoutMs?: number;
}

const ALLOWED_FORMS = '"file:///absolute/folder" or "s3://bucket/optional/prefix"';

/**
 * The store for `baseUri`: a `FileStore` for `file:///...` (under the allowed roots), an
 * `S3Store` for `s3://...` reached with `settings` (the SDK's defaults from the environment
 * when absent). Any other URI is refused with a message naming it and the allowed forms.
 */
export function openStore(
  baseUri: string,
  settings?: S3Settings,
  options: OpenStoreOptions = {},
): ObjectStore {
  const { maxObjectBytes } = options;
  if (baseUri.startsWith("file:")) {
    return new FileStore(baseUri, {
      roots: options.fileRoots,
      maxObjectBytes,
      timeoutMs: options.fileTimeoutMs,
    });
  }
  if (baseUri.startsWith("s3:")) {
    const storeOptions: S3StoreOptions = { pageSize: options.pageSize, maxObjectBytes };
    return options.s3Client
      ? new S3Store(baseUri, options.s3Client, storeOptions)
      : S3Store.fromSettings(baseUri, settings, storeOptions);
  }
  throw new Error(`cannot open a store for "${baseUri}": use ${ALLOWED_FORMS}`);
}

/** The config's `s3` section, as mlops.config.json spells it. */
export interface S3ConfigSection {
  region: string;
  endpoint?: string;
  force_path_style: boolean;
  /** Defaults in `S3_DEFAULTS` when absent. */
  connect_timeout_ms?: number;
  request_timeout_ms?: number;
  max_attempts?: number;
}

/** The S3 settings of the config's `s3` section: the one place its names are mapped. */
export function s3SettingsOf(s3: S3ConfigSection): S3Settings {
  return {
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.force_path_style,
    ...(s3.connect_timeout_ms !== undefined ? { connectTimeoutMs: s3.connect_timeout_ms } : {}),
    ...(s3.request_timeout_ms !== undefined ? { requestTimeoutMs: s3.request_timeout_ms } : {}),
    ...(s3.max_attempts !== undefined ? { maxAttempts: s3.max_attempts } : {}),
  };
}

/**
 * Opens stores by base URI with the config's `s3` section and `options` (the allowed
 * roots of local stores, the size limit).
 */
export function storeOpener(
  s3: S3ConfigSection,
  options: Omit<OpenStoreOptions, "s3Client"> = {},
): (uri: string) => ObjectStore {
  const settings = s3SettingsOf(s3);
  return (uri) => openStore(uri, settings, options);
}
