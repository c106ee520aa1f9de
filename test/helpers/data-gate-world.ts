/**
 * The world of the data gate's integration tests: a temp folder holding a local bucket
 * with a good synthetic batch, the gate's inputs over it (folder store, verified cache, no
 * VLM unless asked), and a VLM behind an OpenAI-compatible stand-in on 127.0.0.1, closed
 * after each test.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { ConfigSchema, type MlopsConfig } from "../../lib/config.ts";
import type { Manifest, ManifestImage } from "../../lib/manifest.ts";
import type { DataGateInput } from "../../lib/quality/index.ts";
import { fetchVerified, HashCache, openStore } from "../../lib/storage/index.ts";
import { createVlmReviewer } from "../../lib/vlm/index.ts";
import type { VlmReviewer } from "../../lib/vlm/types.ts";
import { synthesizeDataset } from "../../synth/dataset.ts";
import {
  type ChatRequestBody,
  type OpenAIServer,
  promptText,
  startOpenAIServer,
  structuredReply,
} from "./openai-server.ts";

/** The folder, the good batch and the VLM stand-in of the running test. */
export interface DataGateWorld {
  /** Holds the bucket (`bucket/`), the cache and one output folder per gate run. */
  dir: string;
  /** 15 good images, 3 per class, in `bucket/good/`. */
  good: Manifest;
  /** The VLM stand-in `withVlm` started in this test, if any. */
  server: OpenAIServer | undefined;
  /** The gate's input for `manifest`, writing to `dir/out`; no VLM unless `extra` has one. */
  gateInput(manifest: Manifest, out: string, extra?: Partial<DataGateInput>): DataGateInput;
  /** A VLM reviewer whose endpoint is a stand-in answering with `handler`. */
  withVlm(
    handler: Parameters<typeof startOpenAIServer>[0],
    vlm?: Record<string, unknown>,
  ): Promise<VlmReviewer>;
}

/** Makes the folder and the good batch before the file's tests, and removes them after. */
export function useDataGateWorld(): DataGateWorld {
  const w = { server: undefined } as DataGateWorld;
  beforeAll(async () => {
    w.dir = await mkdtemp(join(tmpdir(), "mlops-gate-"));
    w.good = await synthesizeDataset({
      outDir: join(w.dir, "bucket"),
      prefix: "good",
      datasetId: "good",
      kind: "training",
      perClass: 3,
      seed: 21,
    });
  }, 60_000);
  afterAll(async () => rm(w.dir, { recursive: true, force: true }));
  afterEach(async () => {
    await w.server?.close();
    w.server = undefined;
  });

  w.gateInput = (manifest, out, extra = {}) => {
    const store = openStore(manifest.base_uri);
    const cache = new HashCache(join(w.dir, "cache"));
    return {
      manifest,
      manifestName: `${manifest.dataset_id}.json`,
      quality: quality(),
      reviewer: { reason: "not configured: set quality.vlm.base_url" },
      load: async (img: ManifestImage) =>
        (await fetchVerified(store, img.key, img.sha256, cache)).bytes,
      outDir: join(w.dir, out),
      log: () => {},
      ...extra,
    };
  };

  w.withVlm = async (handler, vlm = {}) => {
    w.server = await startOpenAIServer(handler);
    const settings = quality({ base_url: w.server.baseURL, model: "vision-standin", ...vlm }).vlm;
    return createVlmReviewer(settings, { sleep: async () => {} });
  };
  return w;
}

/** The quality section with fast VLM retries and a short timeout, plus `vlm`. */
function quality(vlm: Record<string, unknown> = {}): MlopsConfig["quality"] {
  return ConfigSchema.parse({ quality: { vlm: { backoff_ms: 1, timeout_ms: 2000, ...vlm } } })
    .quality;
}

/** Answers as an honest VLM would: every image it was sent judged fine (or `verdict`). */
export function honest(
  body: ChatRequestBody,
  over: { score?: number; issues?: string[]; clear?: boolean } = {},
) {
  const ids = [...promptText(body).matchAll(/"id": "(img_\d+)"/g)].map((m) => m[1]!);
  return structuredReply(body, {
    quality_score: over.score ?? 9,
    issues: over.issues ?? [],
    images: ids.map((id) => ({
      id,
      clear_mango_photo: over.clear ?? true,
      problems: over.clear === false ? ["not_a_mango"] : [],
      label_plausible: true,
      comment: "ok",
    })),
  });
}
