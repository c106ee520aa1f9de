/**
 * The data gate between data and faults. A FIFO, a folder or an altered file under a key
 * are findings of that image (promptly, and without printing the altered file's hash); a
 * store fault while reading what the batch is compared with (the evaluation set) throws,
 * as does an unreadable evaluation manifest, while a trained manifest that is gone or an
 * evaluation image that is missing narrow the comparison with a note. Real files, a real
 * FIFO, s3rver behind a gate that resets connections.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigSchema } from "../../lib/config.ts";
import { type Manifest, type ManifestImage, stringifyManifest } from "../../lib/manifest.ts";
import { dataGateContext, runDataGate } from "../../lib/quality/index.ts";
import {
  HashCache,
  S3Store,
  StoreAccessError,
  createS3Client,
  openStore,
} from "../../lib/storage/index.ts";
import { useDataGateWorld } from "../helpers/data-gate-world.ts";
import {
  type RunningS3rver,
  type StoreGate,
  startS3rver,
  startStoreGate,
} from "../helpers/s3rver.ts";

const w = useDataGateWorld();
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const hasMkfifo = ["/usr/bin/mkfifo", "/bin/mkfifo"].some((p) => existsSync(p));

describe("the gate on keys that are not image files", () => {
  it.runIf(hasMkfifo)(
    "refuses a FIFO, a folder and altered bytes as findings, without the altered file's hash",
    async () => {
      const bucket = join(w.dir, "bucket");
      await mkdir(join(bucket, "odd", "a-folder"), { recursive: true });
      await promisify(execFile)("mkfifo", [join(bucket, "odd", "pipe.jpg")]);
      const altered = await readFile(join(bucket, w.good.images[6]!.key));
      await writeFile(join(bucket, "odd", "altered.jpg"), altered);
      const entry = (key: string, sum: string): ManifestImage => ({
        key,
        label: "maduro",
        sha256: sum,
        split: "train",
      });
      const manifest: Manifest = {
        ...w.good,
        dataset_id: "odd-keys",
        images: [
          ...w.good.images.slice(0, 5),
          entry("odd/pipe.jpg", "3".repeat(64)),
          entry("odd/a-folder", "4".repeat(64)),
          entry("odd/altered.jpg", "5".repeat(64)),
        ],
      };
      const r = await runDataGate(w.gateInput(manifest, "odd-keys"));
      const findings = (key: string) =>
        r.report.images.find((i) => i.key === key)!.findings.map((f) => `${f.check}: ${f.message}`);
      expect(findings("odd/pipe.jpg")).toEqual([
        `missing: cannot be fetched: not a regular file: ${manifest.base_uri}/odd/pipe.jpg is a FIFO (named pipe)`,
      ]);
      expect(findings("odd/a-folder")).toEqual([
        `missing: cannot be fetched: not a regular file: ${manifest.base_uri}/odd/a-folder is a folder`,
      ]);
      expect(findings("odd/altered.jpg")).toEqual([
        `checksum: has other bytes than the manifest promises (sha256 mismatch for ${manifest.base_uri}/odd/altered.jpg: the manifest says ${"5".repeat(64)}; its ${altered.length} bytes do not hash to that)`,
      ]);
      for (const file of [r.paths.json, r.paths.markdown])
        expect(await readFile(file, "utf8")).not.toContain(sha(altered));
    },
    20_000,
  );
});

describe("what the batch is compared with", () => {
  let s3: RunningS3rver;
  let gate: StoreGate;
  let client: S3Client;
  let repo: string;
  const config = (evalPath: string) => ConfigSchema.parse({ paths: { eval_manifest: evalPath } });

  beforeAll(async () => {
    s3 = await startS3rver({ buckets: ["evalset"] });
    gate = await startStoreGate({ port: s3.port }, "forward");
    client = createS3Client(s3.settings);
    repo = await mkdtemp(join(w.dir, "repo-"));
    const store = new S3Store("s3://evalset/frozen", client);
    for (const img of w.good.images.slice(0, 6))
      await store.put(img.key, await readFile(join(w.dir, "bucket", img.key)));
    const evaluation = {
      ...w.good,
      dataset_id: "frozen-eval",
      kind: "evaluation" as const,
      base_uri: "s3://evalset/frozen",
      images: w.good.images.slice(0, 6).map((i) => ({ ...i, split: "eval" as const })),
    };
    await writeFile(join(repo, "evaluation.json"), stringifyManifest(evaluation));
    const missingOne = {
      ...evaluation,
      images: [
        ...evaluation.images,
        { ...evaluation.images[0]!, key: "gone.jpg", sha256: "6".repeat(64) },
      ],
    };
    await writeFile(join(repo, "evaluation-missing-one.json"), stringifyManifest(missingOne));
    await writeFile(join(repo, "broken.json"), "{ not json");
    await writeFile(join(repo, "batch.json"), stringifyManifest(w.good));
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await gate?.stop();
    await s3?.stop();
  });

  const contextWith = async (evalPath: string, trainedManifests?: string[]) => {
    const memoDir = await mkdtemp(join(w.dir, "memo-"));
    return dataGateContext({
      repoDir: repo,
      config: config(evalPath),
      manifestPath: "batch.json",
      ...(trainedManifests ? { trainedManifests } : {}),
      openStore: (uri) =>
        openStore(uri, {
          ...s3.settings,
          endpoint: gate.endpoint,
          requestTimeoutMs: 500,
          maxAttempts: 2,
        }),
      cache: new HashCache(join(memoDir, "cache")),
      memoDir,
    });
  };

  it("throws a store fault on the evaluation set instead of judging without it", async () => {
    gate.mode = "reset";
    try {
      const err = await contextWith("evaluation.json").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreAccessError);
      expect((err as Error).message).toMatch(
        /^GetObject s3:\/\/evalset\/frozen\/good\/\S+ failed: .*\(after 2 attempts\)\. .*then retry$/,
      );
    } finally {
      gate.mode = "forward";
    }
  }, 20_000);

  it("throws on an evaluation manifest that exists but cannot be read, naming it", async () => {
    await expect(contextWith("broken.json")).rejects.toThrow(
      /^the evaluation set \(broken\.json\) cannot be read, so leakage into it cannot be checked and no batch is judged: .*\(fix the evaluation manifest, or paths\.eval_manifest in mlops\.config\.json, in its own change; then retry\)$/,
    );
  });

  it("notes a missing evaluation image and a trained manifest that is gone, and compares the rest", async () => {
    const context = await contextWith("evaluation-missing-one.json", ["no-such-manifest.json"]);
    expect(context.earlier.map((e) => [e.name, e.images.length])).toEqual([
      ["the evaluation set (evaluation-missing-one.json)", 6],
    ]);
    expect(context.notes).toEqual([
      "1 image(s) of the evaluation set (evaluation-missing-one.json) could not be hashed and were not compared",
      expect.stringMatching(
        /^the trained manifest no-such-manifest\.json could not be read and was not compared: /,
      ),
    ]);
  }, 20_000);
});
