/**
 * Splitting a manifest's images into shards that separate jobs check (a GitHub Actions
 * matrix), and reading a shard spec from the command line. Shards are contiguous ranges,
 * so merging is concatenation in shard order and the first copy of a duplicate stays the
 * first one listed, as in a single job.
 */

/** The half-open range [start, end) of image indices shard `index` (0-based) of `count` checks. */
export function shardRange(
  total: number,
  index: number,
  count: number,
): { start: number; end: number } {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`shard count: expected a whole number >= 1, received ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count)
    throw new Error(`shard index: expected 0-${count - 1}, received ${index}`);
  return {
    start: Math.floor((index * total) / count),
    end: Math.floor(((index + 1) * total) / count),
  };
}

/** Parses "K/N" (1-based, as a matrix lists them: 1/4 ... 4/4) into a 0-based shard. */
export function parseShardSpec(spec: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || k < 1 || k > n)
    throw new Error(`--shard: expected K/N with 1 <= K <= N (e.g. 2/4), received "${spec}"`);
  return { index: k - 1, count: n };
}
