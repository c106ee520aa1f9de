/**
 * A real S3 server (s3rver) on 127.0.0.1 for tests: buckets in a temp folder, a free port,
 * no log output. The code under test reaches it through the real `@aws-sdk/client-s3`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Settings } from "../../lib/storage/s3.ts";

// s3rver ships no types; this is the part of its API the helper uses.
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

const S3rver = createRequire(import.meta.url)("s3rver") as S3rverConstructor;

/** A running s3rver and the settings that reach it. */
export interface RunningS3rver {
  /** e.g. `http://127.0.0.1:41234` */
  endpoint: string;
  /** Path-style settings with s3rver's fixed credentials. */
  settings: S3Settings;
  /** Closes the server and deletes its folder. */
  stop(): Promise<void>;
}

/** Starts s3rver with `buckets` already created. */
export async function startS3rver({ buckets }: { buckets: string[] }): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), "s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    settings: {
      endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      // s3rver checks signatures against these fixed keys.
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    },
    async stop() {
      try {
        await server.close();
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },
  };
}
