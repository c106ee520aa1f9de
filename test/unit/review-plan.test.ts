/**
 * The manifest review's plan, pure: shards per manifest from its image count (one per
 * IMAGES_PER_SHARD, at least one, none for a manifest that cannot be used, doubled in size
 * until a matrix holds them), and the matrix JSON the workflow's check job reads.
 */
import { describe, expect, it } from "vitest";
import { manifestId, reviewMatrix } from "../../app/review-plan.ts";
import { IMAGES_PER_SHARD, MATRIX_LIMIT, planShardCounts } from "../../lib/quality/shards.ts";

describe("planShardCounts", () => {
  it("gives one shard per IMAGES_PER_SHARD images, at least one, and none to an unusable manifest", () => {
    const n = IMAGES_PER_SHARD;
    expect(planShardCounts([1, n, n + 1, 10 * n, 0])).toEqual([1, 1, 2, 10, 0]);
    expect(planShardCounts([])).toEqual([]);
    expect(planShardCounts([10, 11, 25], 10)).toEqual([1, 2, 3]);
  });

  it("doubles the shard size until every shard fits in one matrix", () => {
    const counts = planShardCounts([1000, 1000, 1], 1, MATRIX_LIMIT);
    expect(counts).toEqual([125, 125, 1]);
    expect(counts.reduce((a, b) => a + b)).toBeLessThanOrEqual(MATRIX_LIMIT);
    expect(planShardCounts([100_000], IMAGES_PER_SHARD, 4)).toEqual([3]);
  });

  it("refuses more manifests than a matrix has jobs, saying how to split the change", () => {
    expect(() => planShardCounts([1, 1, 1], IMAGES_PER_SHARD, 2)).toThrow(
      "3 manifests to check, more than the 2 jobs of one matrix (fix: split the change into pull requests of at most 2 manifests)",
    );
  });
});

describe("reviewMatrix", () => {
  it("lists each shard of each manifest, as fromJSON reads it", () => {
    const a = { manifest: "data-manifests/a.json", id: manifestId("data-manifests/a.json") };
    const b = { manifest: "data-manifests/b b.json", id: manifestId("data-manifests/b b.json") };
    const matrix = reviewMatrix([
      { ...a, images: 7000, shards: 2 },
      { ...b, images: 3, shards: 1 },
      { manifest: "data-manifests/bad.json", id: "m-x", images: 0, shards: 0 },
    ]);
    expect(JSON.parse(JSON.stringify(matrix))).toEqual({
      include: [
        { ...a, shard: "1/2", part: "1-of-2" },
        { ...a, shard: "2/2", part: "2-of-2" },
        { ...b, shard: "1/1", part: "1-of-1" },
      ],
    });
    expect(reviewMatrix([])).toEqual({ include: [] });
  });

  it("names each manifest by a stable id that an artifact name may hold", () => {
    const id = manifestId("data-manifests/farm a/ü:1.json");
    expect(id).toMatch(/^m-[0-9a-f]{12}$/);
    expect(manifestId("data-manifests/farm a/ü:1.json")).toBe(id);
    expect(manifestId("data-manifests/other.json")).not.toBe(id);
  });
});
