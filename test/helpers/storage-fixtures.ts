/**
 * What the storage tests share: temp folders removed after the file's tests, a listing
 * collected into an array, and text as bytes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import type { StoredObject } from "../../lib/storage/index.ts";

/** A maker of temp folders (`<name>-XXXXXX`), all removed once the file's tests are done. */
export function useTempDirs(): (name: string) => Promise<string> {
  const temps: string[] = [];
  afterAll(async () => {
    await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
  });
  return async (name) => {
    const dir = await mkdtemp(join(tmpdir(), `${name}-`));
    temps.push(dir);
    return dir;
  };
}

/** Every object of a listing, in the order listed. */
export async function collect(iterable: AsyncIterable<StoredObject>): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  for await (const o of iterable) out.push(o);
  return out;
}

/** Text as UTF-8 bytes. */
export const bytes = (text: string) => Buffer.from(text, "utf8");
