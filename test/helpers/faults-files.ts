/**
 * Hostile files for the fault suite: a FIFO (through the system's mkfifo), a UNIX socket, a
 * sparse file over the store's size limit, a PNG whose header claims a huge picture, and a
 * 127.0.0.1 port that nothing listens on.
 */
import { spawnSync } from "node:child_process";
import { writeFile, truncate } from "node:fs/promises";
import { type AddressInfo, createServer, type Server } from "node:net";
import { crc32, deflateSync } from "node:zlib";

/** Whether the system has `mkfifo` (a FIFO case is skipped, saying so, without it). */
export const HAS_MKFIFO = !spawnSync("mkfifo", ["--version"]).error;

/** Makes a FIFO at `path` with the system's mkfifo. */
export function makeFifo(path: string): void {
  const r = spawnSync("mkfifo", [path]);
  if (r.error || r.status !== 0)
    throw new Error(`mkfifo ${path} failed: ${r.error?.message ?? r.stderr.toString()}`);
}

/** A sparse file of `bytes` bytes: its size is over a limit, its blocks are not on disk. */
export async function sparseFile(path: string, bytes: number): Promise<void> {
  await writeFile(path, "");
  await truncate(path, bytes);
}

/** A UNIX socket listening at `path`; close it when done. */
export async function listeningSocket(path: string): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return server;
}

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

/**
 * A valid-looking grey PNG whose header says `width` x `height`, holding one row of pixels:
 * a few hundred bytes that would decode to gigabytes.
 */
export function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(0, 9); // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.alloc(width + 1))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A 127.0.0.1 port that was free a moment ago and that nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
