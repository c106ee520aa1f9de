/**
 * `npm run validate` as a user (or a GitHub Actions matrix) runs it, in its own process:
 * one job writes quality.json and report.md; three shard jobs and a merge give the same
 * verdict. A store that cannot be reached is an error (exit 1) naming the store, not a
 * verdict, and the same command judges the batch once the store is back; a base URI
 * outside the allowed roots cannot be used. Async execFile, as the CLI is a separate process.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringifyManifest } from "../../lib/manifest.ts";
import { synthesizeBadBatch } from "../../synth/bad-batch.ts";
import { parseValidateArgs } from "../../cli/validate.ts";
import { S3Store, createS3Client } from "../../lib/storage/index.ts";
import { startS3rver, startStoreGate } from "../helpers/s3rver.ts";

const exec = promisify(execFile);
const REPO = resolve(import.meta.dirname, "../..");
let dir: string;
let manifestPath: string;
let configPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mlops-validate-cli-"));
  const bad = await synthesizeBadBatch({
    outDir: join(dir, "bucket"),
    prefix: "b",
    datasetId: "cli-bad",
    seed: 3,
    count: 14,
  });
  manifestPath = join(dir, "bad.json");
  await writeFile(manifestPath, stringifyManifest(bad.manifest));
  configPath = join(dir, "mlops.config.json");
  await writeFile(configPath, JSON.stringify({ paths: { cache: join(dir, "cache") } }));
}, 60_000);
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** Runs the CLI; resolves with its exit code and output (a failing gate exits 2). */
async function validate(...args: string[]): Promise<{ code: number; out: string }> {
  return validateWith({}, configPath, ...args);
}

/** The CLI with `config` and `extraEnv` added to the clean environment. */
async function validateWith(
  extraEnv: Record<string, string>,
  config: string,
  ...args: string[]
): Promise<{ code: number; out: string }> {
  // A clean environment: a VLM configured on the developer's machine must not be called.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...extraEnv };
  try {
    const { stdout } = await exec(
      process.execPath,
      ["--import", "tsx", join(REPO, "cli/validate.ts"), "--config", config, ...args],
      { cwd: REPO, env, timeout: 60_000 },
    );
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("npm run validate", () => {
  it("writes quality.json and report.md for a manifest, exiting 2 on a failed gate", async () => {
    const out = join(dir, "single");
    const r = await validate("--manifest", manifestPath, "--out", out);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/quality_score \d\.\d\/10 \(threshold 7\): FAIL/);
    const q = JSON.parse(await readFile(join(out, "quality.json"), "utf8"));
    expect(q).toMatchObject({ passed: false, breakdown: { vlm: { consulted: false } } });
    expect(q.images).toHaveLength(14);
    expect(q.checks.decode.failed).toBeGreaterThan(0);
    expect(await readFile(join(out, "report.md"), "utf8")).toContain(
      "VLM not consulted: not configured",
    );
  }, 60_000);

  it("checks shards in separate processes and merges them into the same verdict", async () => {
    const shards = join(dir, "shards");
    const runs = await Promise.all(
      ["1/3", "2/3", "3/3"].map((s) =>
        validate("--manifest", manifestPath, "--out", shards, "--shard", s),
      ),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    const merged = join(dir, "merged");
    const r = await validate("--manifest", manifestPath, "--out", merged, "--merge", shards);
    expect(r.code).toBe(2);
    const single = JSON.parse(await readFile(join(dir, "single", "quality.json"), "utf8"));
    const fromShards = JSON.parse(await readFile(join(merged, "quality.json"), "utf8"));
    expect(fromShards.quality_score).toBe(single.quality_score);
    // libvips words a truncated JPEG's error differently from run to run: compare what was found.
    type Img = {
      key: string;
      findings: Array<{ check: string; severity: string }>;
      measurements?: unknown;
    };
    const found = (q: { images: Img[] }) =>
      q.images.map((i) => ({
        key: i.key,
        findings: i.findings.map((f) => `${f.check}:${f.severity}`),
        m: i.measurements,
      }));
    expect(found(fromShards)).toEqual(found(single));
    expect(fromShards.checks).toEqual(single.checks);
  }, 90_000);

  it("exits 1 naming the store when it resets every connection, and judges the batch once it is back", async () => {
    const s3 = await startS3rver({ buckets: ["incoming"] });
    const gate = await startStoreGate({ port: s3.port }, "reset");
    const client = createS3Client(s3.settings);
    try {
      const bad = JSON.parse(await readFile(manifestPath, "utf8"));
      const store = new S3Store("s3://incoming/batch", client);
      for (const img of bad.images as Array<{ key: string }>)
        await store.put(img.key, await readFile(join(dir, "bucket", img.key)));
      const s3Manifest = join(dir, "bad-s3.json");
      await writeFile(s3Manifest, JSON.stringify({ ...bad, base_uri: "s3://incoming/batch" }));
      const s3Config = join(dir, "s3.config.json");
      await writeFile(
        s3Config,
        JSON.stringify({
          paths: { cache: join(dir, "s3-cache") },
          s3: { endpoint: gate.endpoint, force_path_style: true },
        }),
      );
      const env = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };
      const out = join(dir, "s3-down");
      const args = ["--manifest", s3Manifest, "--out", out];
      const down = await validateWith(env, s3Config, ...args);
      expect(down.code).toBe(1);
      expect(down.out).toMatch(
        /error: GetObject s3:\/\/incoming\/batch\/b\/\S+ failed: .*\(after 3 attempts\)\. The store could not be used, which says nothing about the data: .*then retry/,
      );
      expect(existsSync(join(out, "quality.json"))).toBe(false);

      gate.mode = "forward";
      const back = await validateWith(env, s3Config, ...args);
      expect(back.code).toBe(2);
      const q = JSON.parse(await readFile(join(out, "quality.json"), "utf8"));
      const single = JSON.parse(await readFile(join(dir, "single", "quality.json"), "utf8"));
      expect(q.quality_score).toBe(single.quality_score);
    } finally {
      client.destroy();
      await gate.stop();
      await s3.stop();
    }
  }, 90_000);

  it("exits 1 on a base URI outside the allowed roots, naming them", async () => {
    const bad = JSON.parse(await readFile(manifestPath, "utf8"));
    const devManifest = join(dir, "dev.json");
    await writeFile(devManifest, JSON.stringify({ ...bad, base_uri: "file:///dev" }));
    const r = await validate("--manifest", devManifest, "--out", join(dir, "dev"));
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `$.base_uri: cannot open "file:///dev" as a local folder store: /dev is outside the folders local stores may read (${dir}, ${REPO}, ${tmpdir()})`,
    );
  }, 60_000);

  it("names a bad flag and what it expects", () => {
    expect(() => parseValidateArgs(["--manifest", "m.json"])).toThrow(
      /--manifest and --out are required/,
    );
    expect(() => parseValidateArgs(["--manifest", "m", "--out", "o", "--shard", "0/2"])).toThrow(
      /K\/N/,
    );
    expect(() => parseValidateArgs(["--bogus", "1"])).toThrow(/unknown option "--bogus"/);
  });
});
