/**
 * The few git operations the pipeline needs, on a repository folder. Promotion commits
 * are built with plumbing (a private index file, write-tree, commit-tree, update-ref), so
 * proposing a model never touches the user's current branch, index or working tree.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** A git command that failed, with its arguments and stderr. */
export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`git ${args.join(" ")} failed: ${stderr.trim() || "(no output)"}`, options);
    this.name = "GitError";
  }
}

// Commits made by the pipeline carry a recognisable identity when none is configured.
const BOT_IDENTITY = {
  GIT_AUTHOR_NAME: "mango-mlops",
  GIT_AUTHOR_EMAIL: "mango-mlops@users.noreply.github.com",
  GIT_COMMITTER_NAME: "mango-mlops",
  GIT_COMMITTER_EMAIL: "mango-mlops@users.noreply.github.com",
};

/** Runs git in `repoDir`; returns stdout without the trailing newline. */
export async function git(
  repoDir: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer } = {},
): Promise<string> {
  try {
    const child = exec("git", args, {
      cwd: repoDir,
      env: { ...BOT_IDENTITY, ...process.env, ...opts.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (opts.input !== undefined) {
      child.child.stdin?.end(opts.input);
    }
    const { stdout } = await child;
    return stdout.replace(/\n$/, "");
  } catch (cause) {
    throw new GitError(
      args,
      String((cause as { stderr?: string }).stderr ?? (cause as Error).message),
      { cause },
    );
  }
}

/** The commit a ref points at, or undefined when the ref does not exist. */
export async function resolveRef(repoDir: string, ref: string): Promise<string | undefined> {
  try {
    return await git(repoDir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  } catch {
    return undefined;
  }
}

/** A file's content at a ref, or undefined when it is absent there. */
export async function showFile(
  repoDir: string,
  ref: string,
  path: string,
): Promise<string | undefined> {
  try {
    return await git(repoDir, ["show", `${ref}:${path}`]);
  } catch {
    return undefined;
  }
}

/** Local branch names matching a pattern (e.g. `mlops/mango-ripeness-v*`). */
export async function listBranches(repoDir: string, pattern: string): Promise<string[]> {
  const out = await git(repoDir, [
    "for-each-ref",
    "--format=%(refname:short)",
    `refs/heads/${pattern}`,
  ]);
  return out ? out.split("\n") : [];
}

/** One file of a commit built by `commitToBranch`. */
export interface FileChange {
  path: string;
  content: string | Buffer;
}

/**
 * Commits `files` on top of `baseRef` and points `branch` at the new commit, creating or
 * moving it (a rerun replaces the earlier proposal). The working tree is untouched.
 */
export async function commitToBranch(
  repoDir: string,
  opts: { baseRef: string; branch: string; files: FileChange[]; message: string },
): Promise<{ commit: string; base: string }> {
  const base = await resolveRef(repoDir, opts.baseRef);
  if (!base)
    throw new GitError(
      ["rev-parse", opts.baseRef],
      `base branch "${opts.baseRef}" does not exist (fix: set git.base_branch or MLOPS_BASE_BRANCH)`,
    );
  const tmp = await mkdtemp(join(tmpdir(), "mlops-index-"));
  const env = { GIT_INDEX_FILE: join(tmp, "index") };
  try {
    await git(repoDir, ["read-tree", base], { env });
    for (const file of opts.files) {
      const blob = await hashObject(repoDir, file.content);
      await git(repoDir, ["update-index", "--add", "--cacheinfo", `100644,${blob},${file.path}`], {
        env,
      });
    }
    const tree = await git(repoDir, ["write-tree"], { env });
    const commit = await git(repoDir, ["commit-tree", tree, "-p", base, "-F", "-"], {
      env,
      input: opts.message,
    });
    await git(repoDir, ["update-ref", `refs/heads/${opts.branch}`, commit]);
    return { commit, base };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function hashObject(repoDir: string, content: string | Buffer): Promise<string> {
  return git(repoDir, ["hash-object", "-w", "--stdin"], { input: content });
}
