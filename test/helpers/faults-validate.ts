/**
 * The world of the fault suite's `npm run validate` cases: a small git repository holding
 * the config (the CLI's repository), a folder bucket with a good batch of four photos and
 * its manifest, and the CLI run in its own process with a clean environment and a time
 * limit, as a user or a GitHub Actions job runs it. A case writes its manifest or config,
 * runs the CLI, and checks what it said, what it wrote and that the repository is as before.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll } from "vitest";
import { type Manifest, stringifyManifest } from "../../lib/manifest.ts";
import { synthesizeDataset } from "../../synth/dataset.ts";

const exec = promisify(execFile);
export const PROJECT = resolve(import.meta.dirname, "../..");

/** What one CLI run did. */
export interface CliRun {
  /** The exit code; -1 when it was killed at its time limit. */
  code: number;
  /** stdout then stderr. */
  out: string;
  /** Milliseconds from start to exit. */
  ms: number;
}

/**
 * Runs `node --import tsx cli/validate.ts --config CONFIG ...args` from the project folder,
 * with only PATH, HOME and `env`, killed after `limitMs`.
 */
export async function runValidateCli(
  config: string,
  args: string[],
  env: Record<string, string> = {},
  limitMs = 25_000,
): Promise<CliRun> {
  const started = Date.now();
  const cleanEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      ["--import", "tsx", join(PROJECT, "cli/validate.ts"), "--config", config, ...args],
      { cwd: PROJECT, env: cleanEnv, timeout: limitMs, killSignal: "SIGKILL" },
    );
    return { code: 0, out: `${stdout}${stderr}`, ms: Date.now() - started };
  } catch (err) {
    const e = err as { code?: number | string; killed?: boolean; stdout?: string; stderr?: string };
    const code = e.killed || typeof e.code !== "number" ? -1 : e.code;
    return { code, out: `${e.stdout ?? ""}${e.stderr ?? ""}`, ms: Date.now() - started };
  }
}

/** The validate world of one test file. */
export interface ValidateWorld {
  /** The workspace: repository, bucket, outputs. */
  dir: string;
  /** The repository the config lives in (and the CLI judges against). */
  repo: string;
  /** The folder bucket, `file://` + bucket is the good batch's base URI. */
  bucket: string;
  /** The repository's config file. */
  config: string;
  /** The good batch: four photos, two classes, train and val. */
  good: Manifest;
  /** Writes a manifest (an object, or raw text) under the workspace; returns its path. */
  manifest(name: string, content: unknown): Promise<string>;
  /** Writes a config file (an object, or raw text) under the workspace; returns its path. */
  configFile(name: string, content: unknown): Promise<string>;
  /** A fresh output folder for a case. */
  out(name: string): string;
  /** Runs the CLI on `manifest` into `out` with `config` (default: the repository's). */
  validate(
    manifest: string,
    out: string,
    opts?: { config?: string; env?: Record<string, string>; limitMs?: number; args?: string[] },
  ): Promise<CliRun>;
  /** The repository's refs, HEAD and status (no production pointer, no rejected ref): what no validation may change. */
  repoState(): Promise<string>;
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: "faults",
    GIT_AUTHOR_EMAIL: "faults@example.com",
    GIT_COMMITTER_NAME: "faults",
    GIT_COMMITTER_EMAIL: "faults@example.com",
  };
  return (await exec("git", args, { cwd, env })).stdout;
}

const asText = (content: unknown) =>
  typeof content === "string" ? content : JSON.stringify(content, null, 2) + "\n";

/** Builds the world before the file's tests and removes it after them. */
export function useValidateWorld(): ValidateWorld {
  const w = {} as ValidateWorld;
  beforeAll(async () => {
    w.dir = await mkdtemp(join(tmpdir(), "mlops-faults-"));
    w.repo = join(w.dir, "repo");
    w.bucket = join(w.dir, "bucket");
    await mkdir(w.repo, { recursive: true });
    w.config = join(w.repo, "mlops.config.json");
    await writeFile(w.config, asText({ paths: { cache: join(w.dir, "cache") } }));
    await git(w.repo, "init", "-q", "-b", "main");
    await git(w.repo, "add", "-A");
    await git(w.repo, "commit", "-q", "-m", "config");
    w.good = await synthesizeDataset({
      outDir: w.bucket,
      prefix: "b",
      datasetId: "good",
      kind: "training",
      perClass: 2,
      seed: 11,
      classes: ["verde", "maduro"],
    });
    await mkdir(join(w.bucket, "bad"), { recursive: true });
  }, 60_000);
  afterAll(async () => {
    if (w.dir) await rm(w.dir, { recursive: true, force: true });
  });

  w.manifest = async (name, content) => {
    const path = join(w.dir, "manifests", `${name}.json`);
    await mkdir(join(w.dir, "manifests"), { recursive: true });
    await writeFile(
      path,
      typeof content === "string" ? content : stringifyManifest(content as Manifest),
    );
    return path;
  };
  w.configFile = async (name, content) => {
    const path = join(w.dir, "configs", `${name}.json`);
    await mkdir(join(w.dir, "configs"), { recursive: true });
    await writeFile(path, asText(content));
    return path;
  };
  w.out = (name) => join(w.dir, "out", name);
  w.validate = (manifest, out, opts = {}) =>
    runValidateCli(
      opts.config ?? w.config,
      ["--manifest", manifest, "--out", out, ...(opts.args ?? [])],
      opts.env,
      opts.limitMs,
    );
  w.repoState = async () =>
    [
      await git(w.repo, "for-each-ref", "--format=%(refname) %(objectname)"),
      await git(w.repo, "rev-parse", "HEAD"),
      await git(w.repo, "status", "--porcelain", "--ignored"),
    ].join("\n");
  return w;
}

/** quality.json of an output folder, or undefined when none was written. */
export async function qualityOf(out: string): Promise<Record<string, any> | undefined> {
  const path = join(out, "quality.json");
  return existsSync(path) ? JSON.parse(await readFile(path, "utf8")) : undefined;
}

/** Everything a run left for a person to read: its output, quality.json and report.md. */
export async function everythingSaid(run: CliRun, out: string): Promise<string> {
  const read = (f: string) => (existsSync(join(out, f)) ? readFile(join(out, f), "utf8") : "");
  return [run.out, await read("quality.json"), await read("report.md")].join("\n");
}
