/**
 * Promotion on merge, end to end over real servers: the promotion pull request is opened
 * and merged on the GitHub stand-in, the promote step reads the pointer at the merge
 * commit through the contents API, verifies the artifact from S3 (s3rver), serves it at
 * the stable key, tags the version and attaches the .tflite to a release. A rerun is a
 * no-op only while the served bytes hash to the record; same-size tampered files are
 * rewritten. Then v2, then a revert back to v1. What it refuses is
 * github-promote-refusals.test.ts; release assets already attached, github-promote-release.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { ModelArtifact } from "../../lib/registry.ts";
import { sha256 } from "../../lib/storage/index.ts";
import { MODEL, SERVING_KEY, tflite, usePromoteWorld } from "../helpers/promote-world.ts";

const w = usePromoteWorld();

describe("promoteProduction", () => {
  let v1: ModelArtifact;
  let merge1: string;
  let merge2: string;

  it("serves v1 after its pull request merges: stable key, production.json, tag and release asset", async () => {
    v1 = await w.publish("v1");
    merge1 = await w.proposeAndMerge("v1", v1);
    const out = await w.promoteAt(merge1);
    expect(out).toMatchObject({
      version: "v1",
      changed: true,
      previousVersion: undefined,
      notes: [],
    });

    const now = await w.served();
    expect(now.bytes).toEqual(tflite("v1"));
    expect(now.record).toMatchObject({
      model: MODEL,
      version: "v1",
      sha256: sha256(tflite("v1")),
      bytes: tflite("v1").length,
      key: SERVING_KEY,
      commit: merge1,
      promoted_at: "2025-06-02T00:00:00.000Z",
    });
    expect(now.record.sha256).toBe(v1.files.find((f) => f.name.endsWith(".tflite"))!.sha256);
    // The TF.js files sit beside it with their own names, so model.json finds weights.bin.
    expect((await w.serving.get(`${MODEL}/production/weights.bin`)).toString()).toBe(
      "tfjs weights v1",
    );
    // production.json last: until then a reader still sees the previous record.
    expect(w.servingPuts).toEqual(
      ["model.json", "weights.bin", "model.tflite", "production.json"].map(
        (n) => `${MODEL}/production/${n}`,
      ),
    );

    expect(w.gh.git.refs.get(`refs/tags/${MODEL}-v1`)).toBe(merge1);
    expect(w.release(`${MODEL}-v1`)).toMatchObject({
      name: `${MODEL} v1`,
      target_commitish: merge1,
    });
    expect(w.release(`${MODEL}-v1`)!.body).toContain(sha256(tflite("v1")));
    const asset = out.release!.release.assets[0]!;
    expect(asset).toMatchObject({ name: "mango_model_v1.tflite", uploaded: true });
    const downloaded = Buffer.from(await (await fetch(asset.url)).arrayBuffer());
    expect(sha256(downloaded)).toBe(sha256(tflite("v1")));
  });

  it("does nothing on a rerun", async () => {
    const puts = w.servingPuts.length;
    const again = await w.promoteAt(merge1);
    expect(again).toMatchObject({
      version: "v1",
      changed: false,
      previousVersion: "v1",
      notes: [],
    });
    expect(again.release).toMatchObject({
      tag: { created: false },
      release: { created: false, assets: [{ uploaded: false }] },
    });
    expect(w.servingPuts.length).toBe(puts);
    expect(w.gh.state.releases).toHaveLength(1);
  });

  it("repairs same-size tampered files at the serving keys from the verified artifact, and says so", async () => {
    const weights = `${MODEL}/production/weights.bin`;
    // Same sizes as v1's files, other bytes: a size check would call this in sync.
    const forged = tflite("v9");
    expect(forged.length).toBe(tflite("v1").length);
    await w.tamper(SERVING_KEY, forged);
    await w.tamper(weights, Buffer.from("tfjs weights v9"));
    const before = await w.served();
    const puts = w.servingPuts.length;
    const logged: string[] = [];

    const out = await w.promoteAt(merge1, { log: (m) => logged.push(m) });
    expect(out).toMatchObject({ version: "v1", changed: true, previousVersion: "v1" });
    expect(out.notes).toEqual([
      `repaired s3://serving/app/${weights}: its bytes hash to ${sha256(Buffer.from("tfjs weights v9"))}, not the recorded ${sha256(Buffer.from("tfjs weights v1"))}; rewritten from the verified artifact of v1`,
      `repaired s3://serving/app/${SERVING_KEY}: its bytes hash to ${sha256(forged)}, not the recorded ${sha256(tflite("v1"))}; rewritten from the verified artifact of v1`,
    ]);
    expect(logged.filter((m) => m.startsWith("promote: repaired "))).toHaveLength(2);
    // Only the two files, the stable key last; the record already named these bytes.
    expect(w.servingPuts.slice(puts)).toEqual([weights, SERVING_KEY]);
    const now = await w.served();
    expect(now.bytes).toEqual(tflite("v1"));
    expect((await w.serving.get(weights)).toString()).toBe("tfjs weights v1");
    expect(now.record).toEqual(before.record);
  });

  it("is a no-op again once the bytes at every serving key hash to the record", async () => {
    const puts = w.servingPuts.length;
    const again = await w.promoteAt(merge1);
    expect(again).toMatchObject({ version: "v1", changed: false, notes: [] });
    expect(w.servingPuts.length).toBe(puts);
  });

  it("serves v2 after its merge, even when the asset upload's answer is lost and retried", async () => {
    const v2 = await w.publish("v2");
    merge2 = await w.proposeAndMerge("v2", v2);
    w.gh.failNext("POST", /\/api\/uploads\/.*\/assets$/, { status: 502, afterApply: true });
    const out = await w.promoteAt(merge2);
    expect(out).toMatchObject({ version: "v2", changed: true, previousVersion: "v1" });
    expect((await w.served()).bytes).toEqual(tflite("v2"));
    expect(w.release(`${MODEL}-v2`)!.assets.map((a) => a.name)).toEqual(["mango_model_v2.tflite"]);
    expect(
      w.gh.requests.filter((r) => r.path.startsWith("/api/uploads/")).map((r) => r.status),
    ).toEqual([201, 502, 422]);
  });

  it("rolls back to v1 when the merge is reverted, reusing v1's tag and release", async () => {
    const revert = await w.revertMerge(merge2);
    const out = await w.promoteAt(revert);
    expect(out).toMatchObject({ version: "v1", changed: true, previousVersion: "v2" });
    const now = await w.served();
    expect(now.bytes).toEqual(tflite("v1"));
    expect(now.record).toMatchObject({
      version: "v1",
      sha256: sha256(tflite("v1")),
      commit: revert,
    });
    expect(w.gh.git.refs.get(`refs/tags/${MODEL}-v1`)).toBe(merge1);
    expect(out.notes.join("\n")).toMatch(/tag mango-ripeness-v1 already points at .* left as is/);
    expect(w.gh.state.releases.map((r) => r.tag_name)).toEqual([`${MODEL}-v1`, `${MODEL}-v2`]);
  });
});
