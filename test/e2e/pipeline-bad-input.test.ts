/**
 * Bad input never crashes the pipeline and never moves production: each case is a clear
 * error or a data-quality failure in the report, and the production pointer is unchanged.
 */
import { copyFile, mkdtemp, readFile, rm, truncate, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPipeline } from "../../app/pipeline.ts";
import { createScratchRepo, type ScratchRepo } from "../../synth/scratch-repo.ts";
import type { Manifest } from "../../lib/manifest.ts";
import { synthesizeDataset } from "../../synth/dataset.ts";
import { tinyTraining } from "../helpers/tiny-config.ts";

let workspace: string;
let scratch: ScratchRepo;
let good: Manifest;
const POINTER = "models/mango-ripeness/production.json";
const pointerBytes = '{"note":"stands in for production; a halted run must not touch it"}\n';

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), "mlops-bad-"));
  scratch = await createScratchRepo({ workspace, evalPerClass: 2, configure: tinyTraining });
  good = await synthesizeDataset({
    outDir: scratch.bucket,
    prefix: "b/good",
    datasetId: "good",
    kind: "training",
    perClass: 1,
    seed: 11,
    classes: ["verde", "maduro"],
  });
  await mkdir(join(scratch.repo, "models/mango-ripeness"), { recursive: true });
  await writeFile(join(scratch.repo, POINTER), pointerBytes);
  await scratch.git("add", "-A");
  await scratch.git("commit", "-q", "-m", "production pointer");
}, 60_000);
afterAll(async () => rm(workspace, { recursive: true, force: true }));

/** Two good images plus the bad ones this case adds; returns the run's state. */
async function runWith(name: string, edit: (m: Manifest) => Promise<Manifest> | Manifest) {
  const manifest = await edit(structuredClone({ ...good, dataset_id: name }));
  await scratch.commitManifest(`data-manifests/${name}.json`, manifest, `Add ${name}`);
  const result = await runPipeline({
    repoDir: scratch.repo,
    config: scratch.config(),
    services: { log: () => {} },
  });
  expect(result.state.new_data_path).toBe(`data-manifests/${name}.json`);
  expect(await readFile(join(scratch.repo, POINTER), "utf8")).toBe(pointerBytes);
  expect(result.state.promotion).toBeNull();
  return result;
}

/** A copy of the first good image under a new key, with the manifest entry to match. */
async function copyOfGood(m: Manifest, key: string) {
  const src = m.images[0]!;
  await mkdir(join(scratch.bucket, key, ".."), { recursive: true });
  await copyFile(join(scratch.bucket, src.key), join(scratch.bucket, key));
  return { ...src, key };
}

describe("bad input", () => {
  it("a missing image is a `missing` finding", async () => {
    const r = await runWith("missing", (m) => ({
      ...m,
      images: [
        ...m.images,
        { ...m.images[0]!, key: "b/good/verde/nope.jpg", sha256: "0".repeat(64) },
      ],
    }));
    expect(r.outcome).toBe("data_gate_failed");
    expect(r.state.failure_analysis_report).toMatch(/nope\.jpg.*missing|missing.*nope\.jpg/s);
  });

  it("a checksum mismatch is a `checksum` finding naming both hashes", async () => {
    const r = await runWith("checksum", async (m) => {
      const img = await copyOfGood(m, "b/bad/verde/other.jpg");
      return { ...m, images: [...m.images, { ...img, sha256: "f".repeat(64) }] };
    });
    expect(r.outcome).toBe("data_gate_failed");
    expect(r.state.failure_analysis_report).toMatch(/other\.jpg.*checksum/s);
  });

  it("a corrupt JPEG is a `decode` finding", async () => {
    const r = await runWith("corrupt", async (m) => {
      const img = await copyOfGood(m, "b/bad/maduro/cut.jpg");
      const path = join(scratch.bucket, img.key);
      await truncate(path, 600);
      const { createHash } = await import("node:crypto");
      return {
        ...m,
        images: [
          ...m.images,
          {
            ...img,
            sha256: createHash("sha256")
              .update(await readFile(path))
              .digest("hex"),
          },
        ],
      };
    });
    expect(r.outcome).toBe("data_gate_failed");
    expect(r.state.failure_analysis_report).toMatch(/cut\.jpg.*decode/s);
  });

  it("an unknown label refuses the manifest with its JSON path", async () => {
    const r = await runWith("unknown-label", (m) => ({
      ...m,
      images: m.images.map((i, n) => (n === 1 ? { ...i, label: "podrido" } : i)),
    }));
    expect(r.state.quality_score).toBe(0);
    expect(r.state.failure_analysis_report).toMatch(
      /\$\.images\[1\]\.label: "podrido" is not in the label set/,
    );
  });

  it("a key outside the base URI refuses the manifest", async () => {
    const r = await runWith("escape", (m) => ({
      ...m,
      images: m.images.map((i, n) => (n === 0 ? { ...i, key: "../../etc/passwd" } : i)),
    }));
    expect(r.state.quality_score).toBe(0);
    expect(r.state.failure_analysis_report).toMatch(
      /\$\.images\[0\]\.key: "\.\.\/\.\.\/etc\/passwd".*outside base_uri/,
    );
  });

  it("a label the model does not know refuses the manifest", async () => {
    const r = await runWith("new-class", (m) => ({ ...m, labels: [...m.labels, "podrido"] }));
    expect(r.state.quality_score).toBe(0);
    expect(r.state.failure_analysis_report).toMatch(/"podrido" is not a class of this model/);
  });
});
