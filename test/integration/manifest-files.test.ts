/**
 * The one definition of "training manifest" (lib/manifest-files.ts), on a real folder:
 * what check_for_new_data trains on, what the manifest review checks and what the bucket
 * watch reads keys from.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isManifestPath,
  isTrainingManifest,
  listManifestFiles,
  listTrainingManifests,
} from "../../lib/manifest-files.ts";

const PATHS = { manifests: "data-manifests", eval_manifest: "data-manifests/eval/evaluation.json" };

describe("training manifests", () => {
  let repo: string;
  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), "manifest-files-"));
    const files: Record<string, string> = {
      "data-manifests/farm-a.json": JSON.stringify({ kind: "training" }),
      "data-manifests/2026/farm-b.json": JSON.stringify({ kind: "training" }),
      "data-manifests/broken.json": "{ not json",
      "data-manifests/holdout.json": JSON.stringify({ kind: "evaluation" }),
      "data-manifests/sneaky.json": '{ "kind": "training", "kind": "evaluation" }',
      "data-manifests/eval/evaluation.json": JSON.stringify({ kind: "evaluation" }),
      "data-manifests/eval/extra.json": JSON.stringify({ kind: "training" }),
      "data-manifests/manifest.schema.json": "{}",
      "data-manifests/README.md": "# manifests",
      "elsewhere/farm-c.json": JSON.stringify({ kind: "training" }),
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(repo, path, ".."), { recursive: true });
      await writeFile(join(repo, path), text);
    }
  });
  afterAll(() => rm(repo, { recursive: true, force: true }));

  it("lists every manifest file under paths.manifests, schemas and other files left out", async () => {
    expect(await listManifestFiles(repo, PATHS)).toEqual([
      "data-manifests/2026/farm-b.json",
      "data-manifests/broken.json",
      "data-manifests/eval/evaluation.json",
      "data-manifests/eval/extra.json",
      "data-manifests/farm-a.json",
      "data-manifests/holdout.json",
      "data-manifests/sneaky.json",
    ]);
  });

  it("leaves out the evaluation manifest, eval/ and files that declare kind evaluation", async () => {
    expect(await listTrainingManifests(repo, PATHS)).toEqual([
      "data-manifests/2026/farm-b.json",
      "data-manifests/broken.json",
      "data-manifests/farm-a.json",
      "data-manifests/sneaky.json",
    ]);
  });

  it("judges a changed path the same way, whatever its folder", async () => {
    expect(await isTrainingManifest(repo, "data-manifests/farm-a.json", PATHS)).toBe(true);
    expect(await isTrainingManifest(repo, "data-manifests/eval/extra.json", PATHS)).toBe(false);
    expect(await isTrainingManifest(repo, "data-manifests/holdout.json", PATHS)).toBe(false);
    expect(await isTrainingManifest(repo, "elsewhere/farm-c.json", PATHS)).toBe(false);
    expect(isManifestPath("data-manifests-old/x.json", PATHS)).toBe(false);
    expect(isManifestPath("data-manifests/manifest.schema.json", PATHS)).toBe(false);
  });
});
