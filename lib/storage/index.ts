/** The data plane: object stores (local folder, S3) and the verified, cached read path. */
export type { ObjectStore, StoredObject } from "./types.ts";
export {
  ChecksumMismatchError,
  InvalidKeyError,
  NotRegularFileError,
  ObjectNotFoundError,
  ObjectTooLargeError,
  StoreAccessError,
  isDataError,
  objectUri,
  type DataError,
} from "./errors.ts";
export {
  FileStore,
  compareKeys,
  defaultFileRoots,
  writeFileAtomic,
  type FileStoreOptions,
} from "./file.ts";
export { DEFAULT_FILE_TIMEOUT_MS, DEFAULT_MAX_OBJECT_BYTES } from "./local-files.ts";
export {
  S3Store,
  S3_DEFAULTS,
  createS3Client,
  parseS3Uri,
  type S3Settings,
  type S3StoreOptions,
} from "./s3.ts";
export {
  openStore,
  s3SettingsOf,
  storeOpener,
  type OpenStoreOptions,
  type S3ConfigSection,
} from "./open.ts";
export { HashCache, fetchVerified, sha256, type VerifiedObject } from "./cache.ts";
