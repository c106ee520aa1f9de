/**
 * What the batch repeats from elsewhere: the findings for a loader that failed, copies of
 * images in earlier trained manifests, and the hashes of an earlier set (the evaluation
 * set, production's manifests) computed once per file and remembered by sha256.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Manifest, ManifestImage } from "../manifest.ts";
import { runPool } from "../pool.ts";
import {
  ChecksumMismatchError,
  type DataError,
  NotRegularFileError,
  ObjectNotFoundError,
  ObjectTooLargeError,
} from "../storage/errors.ts";
import type { QualityConfig } from "./config.ts";
import { analyzeImage } from "./image-checks.ts";
import type { HashedImage } from "./copy-index.ts";
import type { EarlierMatch } from "./copy-search.ts";
import type { Finding } from "./score.ts";

/**
 * The finding for a loader that threw a data error: the object is missing, has other
 * bytes, is not a regular file, is too large, or its key is invalid. Faults of the store
 * (`StoreAccessError`, timeouts) are not findings: callers let them abort the run.
 */
export function loadFailureFinding(err: DataError): Finding {
  if (err instanceof ChecksumMismatchError) {
    return {
      check: "checksum",
      severity: "error",
      message: `has other bytes than the manifest promises (${err.message})`,
      fix: "re-upload the original file, or update sha256 in the manifest if the file was meant to change",
    };
  }
  if (err instanceof ObjectNotFoundError) {
    return {
      check: "missing",
      severity: "error",
      message: `is not in the store (${err.uri})`,
      fix: "upload the file under base_uri, or remove it from the manifest",
    };
  }
  if (err instanceof NotRegularFileError) {
    return {
      check: "missing",
      severity: "error",
      message: `cannot be fetched: ${err.message}`,
      fix: "point the key at the image file itself, or remove it from the manifest",
    };
  }
  if (err instanceof ObjectTooLargeError) {
    return {
      check: "missing",
      severity: "error",
      message: `cannot be fetched: ${err.message}`,
      fix: "upload the photo at a usual size (a few MB), or remove it from the manifest",
    };
  }
  return {
    check: "missing",
    severity: "error",
    message: `cannot be fetched: ${err.message}`,
    // Keys that climb out are refused with the manifest; here it is a link out of base_uri.
    fix: "put the image file itself under base_uri (no link out of it, no '..' or leading '/' in the key), or remove it from the manifest",
  };
}

/** How a match reads in a finding: "the same file as" or "a near copy (...) of". */
export function describeMatch(m: EarlierMatch): string {
  if (m.kind === "exact") return "the same file as";
  const how = [`similarity ${m.similarity?.toFixed(3)}`, ...(m.mirrored ? ["mirrored"] : [])].join(
    ", ",
  );
  return `a near copy (${how}) of`;
}

/**
 * Findings for batch images that copy an image of earlier trained data: all refused. The
 * model already learns from that photo, so a copy teaches it nothing new; in the other
 * split it would let validation score photos the model trains on, and with another label
 * it contradicts the earlier one.
 */
export function judgeTrainedMatches(
  matches: EarlierMatch[],
  set: { name: string; images: HashedImage[] },
  batch: ReadonlyMap<string, { label: string; split: string }>,
): Map<string, Finding[]> {
  const earlier = new Map(set.images.map((e) => [e.key, e]));
  const out = new Map<string, Finding[]>();
  for (const m of matches) {
    const mine = batch.get(m.key);
    const theirs = earlier.get(m.earlierKey);
    const what = describeMatch(m);
    const value = m.similarity ?? 1;
    let finding: Finding;
    if (mine && theirs?.label !== undefined && theirs.label !== mine.label) {
      finding = {
        check: "duplicate",
        severity: "error",
        message: `is ${what} ${m.earlierKey} in ${set.name}, labelled "${theirs.label}" there and "${mine.label}" here: the labels contradict each other`,
        fix: "keep one copy with the right label (correct the earlier manifest in its own change if it is the wrong one)",
        value,
      };
    } else if (mine && theirs?.split !== undefined && theirs.split !== mine.split) {
      finding = {
        check: "duplicate",
        severity: "error",
        message: `is ${what} ${m.earlierKey} in ${set.name}, in split "${theirs.split}" there and "${mine.split}" here: validation would score photos the model trains on`,
        fix: "remove it from this manifest",
        value,
      };
    } else {
      finding = {
        check: "duplicate",
        severity: "error",
        message: `is ${what} ${m.earlierKey} in ${set.name}: the model already learns from that photo`,
        fix: "remove it from this manifest",
        value,
      };
    }
    out.set(m.key, [...(out.get(m.key) ?? []), finding]);
  }
  return out;
}

/** What the copy search needs of an image, remembered by the sha256 of its bytes. */
export type CopyKeys = Pick<HashedImage, "hash" | "colour" | "thumb">;

/** Remembers an image's copy keys by the sha256 of its bytes. */
export interface HashMemo {
  get(sha256: string): Promise<CopyKeys | undefined>;
  put(sha256: string, value: CopyKeys): Promise<void>;
}

/**
 * A memo of small JSON files under `dir` (e.g. beside the image cache). The measurement
 * size is part of the folder name: hashes taken at another size are other numbers.
 */
export function fileHashMemo(dir: string, analysisSize: number): HashMemo {
  // v2: the hash is taken of the rounded 32 px thumbnail, which v2 also keeps.
  const root = join(dir, `copy-keys-v2-${analysisSize}`);
  const pathOf = (sha: string) => {
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new Error(`not a sha256: "${sha}"`);
    return join(root, sha.slice(0, 2), `${sha}.json`);
  };
  return {
    async get(sha) {
      try {
        const v = JSON.parse(await readFile(pathOf(sha), "utf8")) as Partial<
          Record<keyof CopyKeys, unknown>
        >;
        return typeof v.hash === "string" &&
          typeof v.colour === "string" &&
          typeof v.thumb === "string"
          ? { hash: v.hash, colour: v.colour, thumb: v.thumb }
          : undefined;
      } catch {
        return undefined;
      }
    },
    async put(sha, value) {
      const path = pathOf(sha);
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(tmp, JSON.stringify(value));
      await rename(tmp, path);
    },
  };
}

/**
 * Hashes of a manifest's images (with their labels and splits) for comparing a batch
 * against it. Images that cannot be loaded or decoded are left out and counted: the set
 * was judged when it came in, and this is not the place to judge it again.
 */
export async function hashManifestImages(opts: {
  manifest: Manifest;
  load: (image: ManifestImage) => Promise<Buffer>;
  config: QualityConfig;
  concurrency?: number;
  memo?: HashMemo;
}): Promise<{ images: HashedImage[]; skipped: number }> {
  const { manifest, load, config, memo } = opts;
  const out: Array<HashedImage | undefined> = [];
  let skipped = 0;
  await runPool(manifest.images.length, opts.concurrency ?? 4, async (i) => {
    const img = manifest.images[i]!;
    let known = await memo?.get(img.sha256);
    if (!known) {
      const bytes = await load(img).catch(() => undefined);
      const analysis = bytes ? await analyzeImage(bytes, config) : undefined;
      if (analysis?.ok) {
        known = { hash: analysis.hash, colour: analysis.colour, thumb: analysis.thumb };
        await memo?.put(img.sha256, known).catch(() => undefined);
      }
    }
    if (known)
      out[i] = { key: img.key, sha256: img.sha256, ...known, label: img.label, split: img.split };
    else skipped++;
  });
  return { images: out.filter((h): h is HashedImage => h !== undefined), skipped };
}
