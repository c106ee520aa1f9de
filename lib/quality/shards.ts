/**
 * Splitting a manifest's images into shards that separate jobs check (a GitHub Actions
 * matrix), how many shards a manifest gets, and reading a shard spec from the command line.
 * Shards are contiguous ranges, so merging is concatenation in shard order and the first
 * copy of a duplicate stays the first one listed, as in a single job.
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

/**
 * Images one shard job of the manifest review checks. A hosted runner (2 cores) measures
 * about 200 images a second from a warm cache and fewer straight from S3, so 5,000 images
 * keep a shard to a few minutes, well inside a job's time limit, while a small manifest is
 * one shard and pays for one job's start-up only.
 */
export const IMAGES_PER_SHARD = 5000;

/** The most jobs one GitHub Actions matrix may have. */
export const MATRIX_LIMIT = 256;

/**
 * Shards for each manifest of a review, from its image count: one per `perShard` images
 * (at least one), doubling the shard size until all of them fit in one matrix. A manifest
 * with no usable images (0) gets none: the merge refuses it without checking any image.
 */
export function planShardCounts(
  imageCounts: readonly number[],
  perShard = IMAGES_PER_SHARD,
  limit = MATRIX_LIMIT,
): number[] {
  const usable = imageCounts.filter((n) => n > 0).length;
  if (usable > limit)
    throw new Error(
      `${usable} manifests to check, more than the ${limit} jobs of one matrix (fix: split the change into pull requests of at most ${limit} manifests)`,
    );
  let size = Math.max(1, Math.floor(perShard));
  for (;;) {
    const counts = imageCounts.map((n) => (n > 0 ? Math.ceil(n / size) : 0));
    if (counts.reduce((a, b) => a + b, 0) <= limit) return counts;
    size *= 2;
  }
}
