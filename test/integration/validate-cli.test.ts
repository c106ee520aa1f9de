/**
 * `npm run validate` as a user (or a GitHub Actions matrix) runs it, in its own process:
 * one job writes quality.json and report.md; three shard jobs and a merge give the same
 * verdict. Async execFile, as the CLI is a separate process.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringifyManifest } from "../../lib/manifest.ts";
import { synthesizeBadBatch } from "../../synth/bad-batch.ts";
import { parseValidateArgs } from "../../cli/validate.ts";

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
  // A clean environment: a VLM configured on the developer's machine must not be called.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  try {
    const { stdout } = await exec(
      process.execPath,
      ["--import", "tsx", join(REPO, "cli/validate.ts"), "--config", configPath, ...args],
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
