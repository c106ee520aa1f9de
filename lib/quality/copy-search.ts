/**
 * The copy search over a batch and earlier sets (the evaluation set, trained manifests),
 * on the index of copy-index.ts: exact copies grouped by sha256, near copies as stars
 * around a representative, and per earlier set the batch images that copy one of its
 * images.
 */
import {
  type CopyMatch,
  CopyIndex,
  type CopyRule,
  type CopySearchStats,
  type HashedImage,
  probeOf,
} from "./copy-index.ts";

/** Images that are the same picture: `exact` when their bytes are identical. */
export interface DuplicateGroup {
  kind: "exact" | "near";
  /** Keys in batch order of the representative first: the one to keep. */
  keys: string[];
  /** For a near group, how each key after the first matches the first. */
  matches?: CopyMatch[];
}

/** A batch image that copies an image of an earlier set (e.g. the evaluation set). */
export interface EarlierMatch extends Partial<CopyMatch> {
  key: string;
  earlierKey: string;
  kind: "exact" | "near";
}

/** What `searchCopies` found: copy groups within the batch, and per earlier set its matches. */
export interface CopySearch {
  duplicates: DuplicateGroup[];
  earlier: EarlierMatch[][];
  stats: CopySearchStats;
}

/**
 * Copies within a batch and of earlier sets (the evaluation set, trained manifests), in one
 * pass: each batch image's keys are computed once, looked up in every earlier set's index
 * and in the batch's own, then dropped, so what stays in memory is the indexes (one entry a
 * representative), not one probe per batch image.
 *
 * Within the batch, exact copies group by sha256 and near groups are stars: each member is
 * a copy of the group's first key, within `rule`, never a copy of a copy; images already in
 * an exact group take part by their first key only. Against an earlier set, each batch
 * image gets one match, the most similar. `withinBatch: false` skips the batch's own search.
 */
export function searchCopies(
  items: HashedImage[],
  earlierSets: HashedImage[][],
  rule: CopyRule,
  opts: { withinBatch?: boolean } = {},
): CopySearch {
  const withinBatch = opts.withinBatch ?? true;
  const duplicates: DuplicateGroup[] = [];
  const bySha = new Map<string, string[]>();
  for (const item of items) {
    const keys = bySha.get(item.sha256);
    if (keys) keys.push(item.key);
    else bySha.set(item.sha256, [item.key]);
  }
  if (withinBatch)
    for (const keys of bySha.values())
      if (keys.length > 1) duplicates.push({ kind: "exact", keys });

  const sets = earlierSets.map((images) => {
    const index = new CopyIndex(rule);
    for (const e of images) index.add(e);
    return {
      index,
      bySha: new Map(images.map((e) => [e.sha256, e.key])),
      matches: [] as EarlierMatch[],
    };
  });
  const batch = new CopyIndex(rule);
  const near = new Map<string, DuplicateGroup>();
  for (const item of items) {
    const probe = probeOf(item);
    for (const set of sets) {
      const same = set.bySha.get(item.sha256);
      if (same !== undefined) {
        set.matches.push({ key: item.key, earlierKey: same, kind: "exact" });
        continue;
      }
      const match = set.index.find(item, probe);
      if (match) {
        const { item: e, ...how } = match;
        set.matches.push({ key: item.key, earlierKey: e.key, kind: "near", ...how });
      }
    }
    if (!withinBatch || bySha.get(item.sha256)![0] !== item.key) continue;
    const match = batch.findOrAdd(item, probe);
    if (!match) continue;
    const { item: rep, ...how } = match;
    let group = near.get(rep.key);
    if (!group) near.set(rep.key, (group = { kind: "near", keys: [rep.key], matches: [] }));
    group.keys.push(item.key);
    group.matches!.push(how);
  }
  const stats = { candidates: batch.stats.candidates, compared: batch.stats.compared };
  for (const set of sets) {
    stats.candidates += set.index.stats.candidates;
    stats.compared += set.index.stats.compared;
  }
  return {
    duplicates: [...duplicates, ...near.values()],
    earlier: sets.map((s) => s.matches),
    stats,
  };
}

/** Exact and near copy groups within a batch (see `searchCopies`). */
export function findDuplicates(
  items: HashedImage[],
  rule: CopyRule,
  stats?: CopySearchStats,
): DuplicateGroup[] {
  const found = searchCopies(items, [], rule);
  if (stats) Object.assign(stats, found.stats);
  return found.duplicates;
}

/**
 * Batch images that are exact or near copies (same `rule` as `findDuplicates`) of an
 * earlier set's images: how images of the frozen evaluation set leaking into training data
 * are found. One match per batch image, the most similar.
 */
export function findEarlierMatches(
  items: HashedImage[],
  earlier: HashedImage[],
  rule: CopyRule,
  stats?: CopySearchStats,
): EarlierMatch[] {
  const found = searchCopies(items, [earlier], rule, { withinBatch: false });
  if (stats) Object.assign(stats, found.stats);
  return found.earlier[0]!;
}
