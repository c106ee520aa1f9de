/**
 * What promotion on merge refuses, or leaves alone, over real servers (the GitHub stand-in
 * and s3rver): an artifact whose bytes do not match the registry or that is missing from
 * the store changes nothing; so does one whose file names are not plain, unique names, or
 * that would put two files on one serving key; a TF.js-only artifact is served without its
 * .tflite key; no pointer yet means nothing to do.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PromotionVerificationError, promoteProduction } from "../../lib/github/promote.ts";
import type { ModelArtifact } from "../../lib/registry.ts";
import { S3Store, sha256 } from "../../lib/storage/index.ts";
import {
  MODEL,
  pointerOf,
  SERVING_KEY,
  tflite,
  usePromoteWorld,
} from "../helpers/promote-world.ts";

const w = usePromoteWorld();

describe("promoteProduction refusals", () => {
  let v1: ModelArtifact;

  // v1 is in production, as after a first promotion.
  beforeAll(async () => {
    v1 = await w.publish("v1");
    await w.promoteAt(await w.proposeAndMerge("v1", v1));
  });

  /** Nothing was written since `puts`, v1 is still served, and `version` was neither tagged nor released. */
  async function expectProductionUnchanged(puts: number, version: string) {
    expect(w.servingPuts.length).toBe(puts);
    const served = await w.served();
    expect(served.record.version).toBe("v1");
    expect(served.bytes).toEqual(tflite("v1"));
    expect(w.gh.git.refs.has(`refs/tags/${MODEL}-${version}`)).toBe(false);
    expect(w.release(`${MODEL}-${version}`)).toBeUndefined();
  }

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

  it("refuses duplicate base names, at the merge and when handed over, changing nothing", async () => {
    const v5 = await w.publish("v5");
    const tfliteFile = v5.files.find((f) => f.name.endsWith(".tflite"))!;
    // The .tflite's bytes under the TF.js weights' name: which one would be served?
    const twice: ModelArtifact = {
      ...v5,
      files: [...v5.files, { ...tfliteFile, name: "weights.bin" }],
    };
    const merge5 = await w.proposeAndMerge("v5", twice);
    const puts = w.servingPuts.length;
    await expect(w.promoteAt(merge5)).rejects.toThrow(
      /production\.json at [0-9a-f]{40} does not match the production pointer schema: artifact\.files: "weights\.bin": file 3 has the same base name as file 2 \("weights\.bin"\) \(fix: republish the artifact/,
    );

    // Names that differ only in case collide on some file systems.
    const cased: ModelArtifact = {
      ...v5,
      files: [...v5.files, { ...tfliteFile, name: "Weights.bin" }],
    };
    const err = await promoteProduction({
      readPointer: async () => pointerOf("v5", cased),
      artifactStore: w.artifacts,
      servingStore: w.serving,
      servingKey: SERVING_KEY,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromotionVerificationError);
    expect((err as PromotionVerificationError).failures).toEqual([
      {
        name: '"Weights.bin"',
        uri: tfliteFile.uri,
        problem:
          'file 3 has the same base name as file 2 ("weights.bin"); names must be plain, unique file names',
      },
    ]);
    expect((err as Error).message).toMatch(
      /serving location unchanged: .*fix: republish the artifact/,
    );
    await expectProductionUnchanged(puts, "v5");
  });

  it("refuses a name with a folder part such as ../x.tflite, writing nothing in or beside the serving folder", async () => {
    const v6 = await w.publish("v6");
    const tfliteFile = v6.files.find((f) => f.name.endsWith(".tflite"))!;
    const escaping: ModelArtifact = {
      ...v6,
      files: [...v6.files, { ...tfliteFile, name: "../x.tflite" }],
    };
    const merge6 = await w.proposeAndMerge("v6", escaping);
    const puts = w.servingPuts.length;
    await expect(w.promoteAt(merge6)).rejects.toThrow(
      /artifact\.files: "\.\.\/x\.tflite": file 3's name has a folder part/,
    );

    for (const name of ["../x.tflite", "..", "tfjs\\model.json", "", "model\n.json"]) {
      const err = await promoteProduction({
        readPointer: async () =>
          pointerOf("v6", { ...v6, files: [...v6.files, { ...tfliteFile, name }] }),
        artifactStore: w.artifacts,
        servingStore: w.serving,
        servingKey: SERVING_KEY,
      }).catch((e: unknown) => e);
      expect(err, JSON.stringify(name)).toBeInstanceOf(PromotionVerificationError);
      expect((err as Error).message).toContain(
        `${JSON.stringify(name)} (${tfliteFile.uri}): file 3's name`,
      );
    }
    expect(await w.serving.head(`${MODEL}/x.tflite`)).toBeUndefined();
    await expectProductionUnchanged(puts, "v6");
  });

  it("refuses a file that would be served over another one or over production.json", async () => {
    const v7 = await w.publish("v7");
    const weights = v7.files.find((f) => f.name === "weights.bin")!;
    const clashing: ModelArtifact = {
      ...v7,
      files: [
        ...v7.files,
        { ...weights, name: "model.tflite" },
        { ...weights, name: "production.json" },
      ],
    };
    const merge7 = await w.proposeAndMerge("v7", clashing);
    const puts = w.servingPuts.length;
    const err = await w.promoteAt(merge7).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromotionVerificationError);
    expect((err as PromotionVerificationError).failures.map((f) => f.problem)).toEqual([
      `would be served at ${SERVING_KEY}, where mango_model_v7.tflite is served; rename it`,
      `would be served at ${MODEL}/production/production.json, over the serving record`,
    ]);
    await expectProductionUnchanged(puts, "v7");
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
