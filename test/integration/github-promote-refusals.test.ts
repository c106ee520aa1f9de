/**
 * What promotion on merge refuses, or leaves alone, over real servers (the GitHub stand-in
 * and s3rver): an artifact whose bytes do not match the registry or that is missing from
 * the store changes nothing; a TF.js-only artifact is served without its .tflite key; no
 * pointer yet means nothing to do.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PromotionVerificationError, promoteProduction } from "../../lib/github/promote.ts";
import type { ModelArtifact } from "../../lib/registry.ts";
import { S3Store, sha256 } from "../../lib/storage/index.ts";
import { MODEL, pointerOf, SERVING_KEY, usePromoteWorld } from "../helpers/promote-world.ts";

const w = usePromoteWorld();

describe("promoteProduction refusals", () => {
  let v1: ModelArtifact;

  // v1 is in production, as after a first promotion.
  beforeAll(async () => {
    v1 = await w.publish("v1");
    await w.promoteAt(await w.proposeAndMerge("v1", v1));
  });

  it("refuses an artifact whose bytes do not match the registry, changing nothing", async () => {
    const v3 = await w.publish("v3");
    const tampered: ModelArtifact = {
      ...v3,
      files: v3.files.map((f) =>
        f.name.endsWith(".tflite") ? { ...f, sha256: sha256(Buffer.from("what was reviewed")) } : f,
      ),
    };
    const merge3 = await w.proposeAndMerge("v3", tampered);
    const puts = w.servingPuts.length;
    const err = await w.promoteAt(merge3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromotionVerificationError);
    expect((err as Error).message).toMatch(
      /promotion of v3 refused, serving location unchanged: mango_model_v3\.tflite \(s3:\/\/artifacts\/models\/.*\): sha256 [0-9a-f]{64}, the registry says/,
    );
    expect(w.servingPuts.length).toBe(puts);
    expect((await w.served()).record.version).toBe("v1");
    expect(w.gh.git.refs.has(`refs/tags/${MODEL}-v3`)).toBe(false);
    expect(w.release(`${MODEL}-v3`)).toBeUndefined();
  });

  it("refuses an artifact missing from the store", async () => {
    const v1Gone: ModelArtifact = {
      ...v1,
      files: [
        ...v1.files,
        {
          name: "extra.bin",
          sha256: "0".repeat(64),
          bytes: 1,
          uri: "s3://artifacts/models/mango-ripeness/none/extra.bin",
        },
      ],
    };
    const pointer = pointerOf("v1", v1Gone);
    await expect(
      promoteProduction({
        readPointer: async () => pointer,
        artifactStore: w.artifacts,
        servingStore: w.serving,
        servingKey: SERVING_KEY,
      }),
    ).rejects.toThrow(/extra\.bin .*missing from the artifact store/);
  });

  it("serves a TF.js-only artifact without a client, and says the .tflite key was not written", async () => {
    const v4 = await w.publish("v4", { tflite: false });
    const store = new S3Store("s3://serving/tfjs-only", w.s3Client);
    const out = await promoteProduction({
      readPointer: async () => pointerOf("v4", v4),
      artifactStore: w.artifacts,
      servingStore: store,
      servingKey: SERVING_KEY,
    });
    expect(out.changed).toBe(true);
    expect(out.record).toMatchObject({ version: "v4", key: `${MODEL}/production/model.json` });
    expect(out.notes.join("\n")).toMatch(/has no \.tflite: .*model\.tflite was not written/);
    expect(await store.head(SERVING_KEY)).toBeUndefined();
  });

  it("does nothing before the first promotion", async () => {
    const out = await promoteProduction({
      readPointer: async () => undefined,
      artifactStore: w.artifacts,
      servingStore: w.serving,
      servingKey: SERVING_KEY,
    });
    expect(out).toMatchObject({ version: undefined, changed: false });
  });
});
