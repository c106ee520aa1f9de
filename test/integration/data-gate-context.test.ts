/**
 * One data gate: `npm run validate` and the manifest review judge a batch against what
 * validate_data judges it against (lib/quality/context.ts): the configured evaluation set
 * and production's training data from the registry. A batch with a copy of each is refused
 * for both by all of them, with the same score.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config.ts";
import { reviewManifests } from "../../app/review-manifests.ts";
import { type Manifest, stringifyManifest } from "../../lib/manifest.ts";
import { dataGateContext } from "../../lib/quality/index.ts";
import { Registry, registryPaths } from "../../lib/registry.ts";
import { HashCache, openStore } from "../../lib/storage/index.ts";
import { encodeJpeg, photoRng, renderPhoto } from "../../synth/draw.ts";
import { runValidate } from "../../cli/validate.ts";
import { sha256 } from "../../bench/real-photos.ts";

let repo: string;
const labels = ["verde", "maduro"] as const;

async function manifestOf(
  id: string,
  files: Array<{ key: string; label: string; bytes: Buffer; split?: "train" | "val" | "eval" }>,
): Promise<Manifest> {
  for (const f of files) {
    await mkdir(join(repo, "bucket", f.key, ".."), { recursive: true });
    await writeFile(join(repo, "bucket", f.key), f.bytes);
  }
  return {
    schema_version: 1,
    dataset_id: id,
    kind: id === "evaluation" ? "evaluation" : "training",
    base_uri: `file://${join(repo, "bucket")}/`,
    labels: [...labels],
    images: files.map((f, i) => ({
      key: f.key,
      label: f.label,
      sha256: sha256(f.bytes),
      split: f.split ?? (i % 4 === 0 ? "val" : "train"),
    })),
  } as Manifest;
}

const photo = async (label: (typeof labels)[number], i: number, seed: number) =>
  encodeJpeg(renderPhoto(label, photoRng(seed, label, i), 160));

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), "mlops-gate-context-"));
  await writeFile(
    join(repo, "mlops.config.json"),
    JSON.stringify({ labels, policy: { critical_class: "maduro" } }),
  );
  const photos = async (prefix: string, seed: number, n: number) =>
    Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const label = labels[i % 2]!;
        return { key: `${prefix}/${label}/${i}.jpg`, label, bytes: await photo(label, i, seed) };
      }),
    );
  const trained = await photos("farm-a", 11, 16);
  const evaluation = await photos("eval", 12, 8);
  await mkdir(join(repo, "data-manifests", "eval"), { recursive: true });
  await writeFile(
    join(repo, "data-manifests", "farm-a.json"),
    stringifyManifest(await manifestOf("farm-a", trained)),
  );
  await writeFile(
    join(repo, "data-manifests", "eval", "evaluation.json"),
    stringifyManifest(
      await manifestOf(
        "evaluation",
        evaluation.map((e) => ({ ...e, split: "eval" as const })),
      ),
    ),
  );
  // Production v1 learned from farm-a.json.
  const paths = registryPaths("models", "mango-ripeness");
  await mkdir(join(repo, paths.version("v1").dir), { recursive: true });
  const file = {
    name: "mango_model_v1.tflite",
    sha256: "0".repeat(64),
    bytes: 1,
    uri: "file:///x",
  };
  await writeFile(
    join(repo, paths.production),
    JSON.stringify({
      model: "mango-ripeness",
      version: "v1",
      artifact: { format: "tflite+tfjs-layers", input_size: 96, labels, files: [file] },
      decided: "APPROVE",
      reason: "test",
      proposed_at: "2026-12-01T00:00:00Z",
    }),
  );
  await writeFile(
    join(repo, paths.version("v1").lineage),
    JSON.stringify({
      manifests: [
        {
          path: "data-manifests/farm-a.json",
          // What v1 learned from: these exact bytes.
          sha256: sha256(await readFile(join(repo, "data-manifests/farm-a.json"))),
          dataset_id: "farm-a",
          images: 16,
        },
      ],
      eval_manifest: {
        path: "data-manifests/eval/evaluation.json",
        sha256: "0".repeat(64),
        images: 8,
      },
      run_id: "r1",
    }),
  );
  // The new batch: fresh photos, a mirrored copy of a trained photo, a re-encoded copy of an evaluation photo.
  const fresh = await photos("farm-b", 13, 12);
  const copyOfTrained = {
    key: "farm-b/verde/copy-a0.jpg",
    label: "verde",
    bytes: await sharp(trained[0]!.bytes).flop().jpeg({ quality: 85 }).toBuffer(),
    split: "train" as const,
  };
  const copyOfEval = {
    key: "farm-b/verde/copy-e0.jpg",
    label: "verde",
    bytes: await sharp(evaluation[0]!.bytes).jpeg({ quality: 70 }).toBuffer(),
    split: "train" as const,
  };
  await writeFile(
    join(repo, "data-manifests", "farm-b.json"),
    stringifyManifest(await manifestOf("farm-b", [...fresh, copyOfTrained, copyOfEval])),
  );
}, 60_000);
afterAll(async () => rm(repo, { recursive: true, force: true }));

describe("one data gate", () => {
  it("resolves the evaluation set and production's data from the config and the registry", async () => {
    const config = loadConfig(join(repo, "mlops.config.json"), {});
    const cache = new HashCache(join(repo, ".mlops", "cache"));
    const context = await dataGateContext({
      repoDir: repo,
      config,
      manifestPath: "data-manifests/farm-b.json",
      registry: new Registry(repo, config.paths.registry, config.model_name),
      openStore: (uri) => openStore(uri, { region: "us-east-1", forcePathStyle: true }),
      cache,
      memoDir: cache.dir,
    });
    expect(context.notes).toEqual([]);
    expect(context.earlier.map((e) => [e.name, e.kind, e.images.length])).toEqual([
      ["the evaluation set (data-manifests/eval/evaluation.json)", "evaluation", 8],
      ["data-manifests/farm-a.json (trained into v1)", "trained", 16],
    ]);
    expect(context.previousLabels?.counts).toEqual({ verde: 8, maduro: 8 });
    expect(context.notes).toEqual([]);
  });

  it("refuses the same copies, with the same score, in npm run validate and in the manifest review", async () => {
    const lines: string[] = [];
    const code = await runValidate(
      {
        manifest: join(repo, "data-manifests", "farm-b.json"),
        out: join(repo, ".mlops", "cli"),
        config: join(repo, "mlops.config.json"),
        merge: [],
      },
      (m) => lines.push(m),
      {},
    );
    expect(code).toBe(0);
    const quality = JSON.parse(await readFile(join(repo, ".mlops", "cli", "quality.json"), "utf8"));
    const refused = (
      quality.images as Array<{
        key: string;
        findings: Array<{ severity: string; message: string }>;
      }>
    )
      .filter((i) => i.findings.some((f) => f.severity === "error"))
      .map((i) => `${i.key}: ${i.findings.map((f) => f.message).join("; ")}`);
    expect(refused).toHaveLength(2);
    expect(refused.find((r) => r.startsWith("farm-b/verde/copy-a0.jpg"))).toMatch(
      /mirrored\) of farm-a\/verde\/0\.jpg in data-manifests\/farm-a\.json \(trained into v1\)/,
    );
    expect(refused.find((r) => r.startsWith("farm-b/verde/copy-e0.jpg"))).toContain(
      "of eval/verde/0.jpg in the evaluation set",
    );

    const [review] = await reviewManifests({
      repoDir: repo,
      manifests: ["data-manifests/farm-b.json"],
      outDir: join(repo, ".mlops", "review"),
      log: () => {},
    });
    expect(review).toMatchObject({ quality_score: quality.quality_score, refused: 2, images: 14 });
  }, 60_000);
});
