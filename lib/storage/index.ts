/** The data plane: object stores (local folder, S3) and the verified, cached read path. */
export type { ObjectStore, StoredObject } from "./types.ts";
export {
  ChecksumMismatchError,
  InvalidKeyError,
  ObjectNotFoundError,
  StoreAccessError,
  objectUri,
} from "./errors.ts";
export { FileStore, compareKeys, writeFileAtomic } from "./file.ts";
export { S3Store, createS3Client, parseS3Uri, type S3Settings, type S3StoreOptions } from "./s3.ts";
export {
  openStore,
  s3SettingsOf,
  storeOpener,
  type OpenStoreOptions,
  type S3ConfigSection,
} from "./open.ts";
export {
  HashCache,
  fetchVerified,
  sha256,
  type FetchVerifiedOptions,
  type VerifiedObject,
} from "./cache.ts";
