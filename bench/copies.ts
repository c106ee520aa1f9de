/**
 * `npx tsx bench/copies.ts [--every N] [--loose S]`: calibrates the copy search on the real
 * photos in ../shared/data. It measures every real photo as the data gate does, makes
 * copies of every Nth one (bench/real-photos.ts), and prints one JSON object per line:
 * - per copy kind: how many were found, how many named their own source, the lowest
 *   similarity and the largest pHash distance to the source;
 * - the copies the gate reports among the real photos themselves, within and across
 *   splits, and so the false-copy rate over all pairs (the dataset keeps every copy of a
 *   photo in one split, so a copy across splits is a false one);
 * - the most similar pairs under the threshold (`--loose`, default 0.85, is how low to
 *   list), which is the margin the threshold has.
 * The numbers beside the copy thresholds in lib/quality/config.ts come from this command.
 */
import { readFile } from "node:fs/promises";
import { mapPool as pool } from "../lib/pool.ts";
import { parseArgs } from "node:util";
import type { CopyRule, HashedImage } from "../lib/quality/copy-index.ts";
import { findDuplicates, findEarlierMatches } from "../lib/quality/copy-search.ts";
import { copySimilarity, decodeThumbnail, mirrorThumbnail } from "../lib/quality/copies.ts";
import {
  analyzeImage,
  copyRule,
  defaultQualityConfig,
  hammingDistance,
} from "../lib/quality/index.ts";
import { hashOfThumbnail } from "../lib/quality/phash.ts";
import {
  OTHER_COPIES,
  readRealSet,
  REAL_4STAGE,
  REAL_SAMPLE,
  realSetPresent,
  REQUIRED_COPIES,
  sha256,
} from "./real-photos.ts";

const cfg = defaultQualityConfig();

async function measure(
  key: string,
  bytes: Buffer,
  extra: Partial<HashedImage> = {},
): Promise<HashedImage> {
  const a = await analyzeImage(bytes, cfg);
  if (!a.ok) throw new Error(`${key}: ${a.message}`);
  return { key, sha256: sha256(bytes), hash: a.hash, colour: a.colour, thumb: a.thumb, ...extra };
}

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))] ?? NaN;
const r4 = (v: number) => Number(v.toFixed(4));

/** Pairs reported by a duplicate search, flattened. */
function pairsOf(items: HashedImage[], rule: CopyRule) {
  const byKey = new Map(items.map((i) => [i.key, i]));
  return findDuplicates(items, rule).flatMap((g) =>
    g.keys.slice(1).map((k, i) => {
      const a = byKey.get(g.keys[0]!)!;
      const b = byKey.get(k)!;
      return {
        a: a.key,
        b: b.key,
        similarity: g.matches ? r4(g.matches[i]!.similarity) : 1,
        crossSplit: a.split !== b.split,
        crossLabel: a.label !== b.label,
      };
    }),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      every: { type: "string", default: "4" },
      loose: { type: "string", default: "0.85" },
    },
  });
  const every = Number(values.every);
  if (!realSetPresent(REAL_4STAGE))
    throw new Error(
      `the real photos are not at ${REAL_4STAGE} (expected ../shared/data/real-mango-4stage beside the project)`,
    );
  const rule: CopyRule = copyRule(cfg);
  const emit = (o: object) => console.log(JSON.stringify(o));
  emit({ bench: "copies", rule });

  const photos = readRealSet(REAL_4STAGE);
  const started = performance.now();
  const real = await pool(photos, 4, async (p) =>
    measure(p.key, await readFile(p.file), { label: p.label, split: p.split }),
  );
  emit({
    step: "measured",
    photos: real.length,
    seconds: r4((performance.now() - started) / 1000),
  });

  // Copies of every Nth photo, checked against all real photos as an earlier set would be.
  const sources = photos.filter((_, i) => i % every === 0);
  const kinds = { ...REQUIRED_COPIES, ...OTHER_COPIES };
  const copies = (
    await pool(sources, 4, async (p) => {
      const bytes = await readFile(p.file);
      return Promise.all(
        Object.entries(kinds).map(async ([kind, make]) => ({
          kind,
          src: p.key,
          item: await measure(`${kind}/${p.key}`, await make(bytes)),
        })),
      );
    })
  ).flat();
  const realByKey = new Map(real.map((r) => [r.key, r]));
  const matches = new Map(
    findEarlierMatches(
      copies.map((c) => c.item),
      real,
      rule,
    ).map((m) => [m.key, m]),
  );
  for (const kind of Object.keys(kinds)) {
    const mine = copies.filter((c) => c.kind === kind);
    const sims = mine.map((c) => {
      const src = realByKey.get(c.src)!;
      const t = decodeThumbnail(c.item.thumb);
      const mirroredHash = hashOfThumbnail(mirrorThumbnail(t));
      const d0 = hammingDistance(c.item.hash, src.hash);
      const d1 = hammingDistance(mirroredHash, src.hash);
      return {
        sim: copySimilarity(decodeThumbnail(src.thumb), t, d1 < d0),
        dist: Math.min(d0, d1),
      };
    });
    emit({
      copies: kind,
      required: kind in REQUIRED_COPIES,
      made: mine.length,
      found: mine.filter((c) => matches.has(c.item.key)).length,
      named_source: mine.filter((c) => matches.get(c.item.key)?.earlierKey === c.src).length,
      similarity_min: r4(Math.min(...sims.map((s) => s.sim))),
      similarity_p01: r4(
        quantile(
          sims.map((s) => s.sim),
          0.01,
        ),
      ),
      hash_distance_max: Math.max(...sims.map((s) => s.dist)),
    });
  }

  // The real photos against themselves.
  const pairs = pairsOf(real, rule);
  const n = real.length;
  const splitSize = (s: string) => real.filter((r) => r.split === s).length;
  const crossPairs = splitSize("train") * splitSize("val");
  const withinPairs = (n * (n - 1)) / 2 - crossPairs;
  emit({
    real: "four-stage",
    photos: n,
    pairs: (n * (n - 1)) / 2,
    reported_within_split: pairs.filter((p) => !p.crossSplit).length,
    within_split_pairs: withinPairs,
    reported_across_splits: pairs.filter((p) => p.crossSplit).length,
    across_split_pairs: crossPairs,
    false_copy_rate_across_splits: pairs.filter((p) => p.crossSplit).length / crossPairs,
    reported: pairs,
  });
  const loose = pairsOf(real, { ...rule, minSimilarity: Number(values.loose) })
    .filter((p) => p.similarity < rule.minSimilarity)
    .sort((a, b) => b.similarity - a.similarity);
  emit({
    real: "four-stage, under the threshold",
    closest_across_splits: loose.find((p) => p.crossSplit) ?? null,
    closest_within: loose.filter((p) => !p.crossSplit).slice(0, 10),
  });

  if (realSetPresent(REAL_SAMPLE)) {
    const sample = await pool(readRealSet(REAL_SAMPLE), 4, async (p) =>
      measure(p.key, await readFile(p.file), { label: p.label, split: p.split }),
    );
    const sp = pairsOf(sample, rule);
    emit({
      real: "six-stage sample",
      photos: sample.length,
      pairs: (sample.length * (sample.length - 1)) / 2,
      reported: sp,
    });
  }
}

main().catch((err: Error) => {
  console.error(`bench copies failed: ${err.message}`);
  process.exitCode = 1;
});
