/**
 * A scratch GitOps repository with a local folder bucket: what the demo and the
 * end-to-end tests run the pipeline on, so they never touch the user's repository.
 * It holds the project's config (optionally edited) and a frozen synthetic evaluation set.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadConfig, type MlopsConfig } from "../lib/config.ts";
import { stringifyManifest, type Manifest } from "../lib/manifest.ts";
import { synthesizeDataset } from "./dataset.ts";

const exec = promisify(execFile);
const projectDir = resolve(fileURLToPath(import.meta.url), "../..");

/** A scratch repository and what to do with it. */
export interface ScratchRepo {
  repo: string;
  bucket: string;
  /** The repo's config, as the pipeline will load it. */
  config(): MlopsConfig;
  git(...args: string[]): Promise<string>;
  /** Writes a manifest at a repo-relative path and commits it, as a contributor would. */
  commitManifest(path: string, manifest: Manifest, message: string): Promise<void>;
}

/**
 * Creates `<workspace>/repo` (a git repo on `main`) and `<workspace>/bucket`, wiping any
 * earlier workspace, and commits the config and a synthetic frozen evaluation set.
 */
export async function createScratchRepo(opts: {
  workspace: string;
  evalPerClass: number;
  /** Seed of the frozen evaluation set's photos (default 1001). */
  evalSeed?: number;
  configure?: (config: Record<string, unknown>) => Record<string, unknown>;
}): Promise<ScratchRepo> {
  const repo = join(opts.workspace, "repo");
  const bucket = join(opts.workspace, "bucket");
  await rm(opts.workspace, { recursive: true, force: true });
  await mkdir(repo, { recursive: true });
  await mkdir(bucket, { recursive: true });
  const git = async (...args: string[]) => {
    const { stdout } = await exec("git", args, {
      cwd: repo,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "contributor",
        GIT_AUTHOR_EMAIL: "contributor@example.com",
        GIT_COMMITTER_NAME: "contributor",
        GIT_COMMITTER_EMAIL: "contributor@example.com",
      },
    });
    return stdout.trim();
  };
  const commitManifest = async (path: string, manifest: Manifest, message: string) => {
    await mkdir(dirname(join(repo, path)), { recursive: true });
    await writeFile(join(repo, path), stringifyManifest(manifest));
    await git("add", path);
    await git("commit", "-q", "-m", message);
  };
  const config = () => loadConfig(join(repo, "mlops.config.json"));

  await git("init", "-q", "-b", "main");
  const projectConfig = JSON.parse(
    await readFile(join(projectDir, "mlops.config.json"), "utf8"),
  ) as Record<string, unknown>;
  await writeFile(
    join(repo, "mlops.config.json"),
    JSON.stringify(opts.configure ? opts.configure(projectConfig) : projectConfig, null, 2) + "\n",
  );
  await cp(join(projectDir, "mlops.config.schema.json"), join(repo, "mlops.config.schema.json"));
  await writeFile(join(repo, ".gitignore"), ".mlops/\n");
  await git("add", "-A");
  await git("commit", "-q", "-m", "Pipeline configuration");
  const evalSet = await synthesizeDataset({
    outDir: bucket,
    prefix: "eval/frozen-v1",
    datasetId: "mango-eval-v1",
    kind: "evaluation",
    perClass: opts.evalPerClass,
    seed: opts.evalSeed ?? 1001,
  });
  await commitManifest(config().paths.eval_manifest, evalSet, "Frozen evaluation set v1");
  return { repo, bucket, config, git, commitManifest };
}
