/**
 * A real S3 server (s3rver) on 127.0.0.1 for tests: buckets in a temp folder, a free port,
 * no log output. The code under test reaches it through the real `@aws-sdk/client-s3`. A
 * store gate in front of it (or of nothing) plays the faults of a real network: a store
 * that resets every connection, or accepts and never answers.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
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
  port: number;
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
    port: address.port,
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

/** How a `StoreGate` treats a connection: pass it to the target, reset it, or hold it silent. */
export type GateMode = "forward" | "reset" | "hang";

/** A TCP front for a store on 127.0.0.1 whose behaviour a test switches. */
export interface StoreGate {
  /** e.g. `http://127.0.0.1:41235` */
  endpoint: string;
  /** Applies to connections made from now on. */
  mode: GateMode;
  /** Connections accepted so far. */
  connections: number;
  /** Closes the gate and every connection it holds. */
  stop(): Promise<void>;
}

/**
 * Starts a gate in front of `target` (`host:port` of e.g. s3rver, or none for a gate that
 * only resets or hangs): "forward" pipes bytes both ways, "reset" answers every
 * connection with a TCP reset, "hang" accepts and never answers.
 */
export async function startStoreGate(
  target?: { port: number },
  mode: GateMode = "forward",
): Promise<StoreGate> {
  const sockets = new Set<Socket>();
  const gate = { mode, connections: 0 } as StoreGate;
  const server = createServer((socket) => {
    gate.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    if (gate.mode === "reset" || (gate.mode === "forward" && !target)) {
      socket.resetAndDestroy();
    } else if (gate.mode === "forward") {
      const upstream = connect(target!.port, "127.0.0.1");
      sockets.add(upstream);
      upstream.on("close", () => sockets.delete(upstream));
      upstream.on("error", () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  gate.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gate.stop = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return gate;
}
