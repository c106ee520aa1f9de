import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commitToBranch, showFile } from "../../lib/git.ts";
import { Registry } from "../../lib/registry.ts";

const exec = promisify(execFile);
const git = async (cwd: string, ...args: string[]) =>
  (
    await exec("git", args, {
      cwd,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@t",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@t",
      },
    })
  ).stdout.trim();

let repo: string;
beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), "mlops-git-"));
  await git(repo, "init", "-q", "-b", "main");
  await writeFile(join(repo, "README.md"), "hello\n");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-q", "-m", "init");
});
afterEach(async () => rm(repo, { recursive: true, force: true }));

const lineage = (path: string, sha: string) =>
  JSON.stringify({
    manifests: [{ path, sha256: sha, dataset_id: "d", images: 3 }],
    eval_manifest: { path: "e.json", sha256: "x", images: 1 },
    run_id: "r",
  });

describe("promotion commits", () => {
  it("land on their own branch and leave the user's branch, index and working tree alone", async () => {
    // The user has uncommitted work: it must survive untouched.
    await writeFile(join(repo, "README.md"), "work in progress\n");
    await writeFile(join(repo, "notes.txt"), "untracked\n");
    const headBefore = await git(repo, "rev-parse", "HEAD");
    const statusBefore = await git(repo, "status", "--porcelain");

    const { commit, base } = await commitToBranch(repo, {
      baseRef: "main",
      branch: "mlops/m-v1",
      files: [
        { path: "models/m/v1/metrics.json", content: "{}\n" },
        { path: "models/m/production.json", content: '{"version":"v1"}\n' },
      ],
      message: "Promote m v1",
    });

    expect(base).toBe(headBefore);
    expect(await git(repo, "rev-parse", "HEAD")).toBe(headBefore);
    expect(await git(repo, "branch", "--show-current")).toBe("main");
    expect(await git(repo, "status", "--porcelain")).toBe(statusBefore);
    expect(await readFile(join(repo, "README.md"), "utf8")).toBe("work in progress\n");
    expect(await git(repo, "rev-parse", "mlops/m-v1")).toBe(commit);
    expect(await showFile(repo, "mlops/m-v1", "models/m/production.json")).toBe('{"version":"v1"}');
    // The base's files are carried over, not dropped.
    expect(await showFile(repo, "mlops/m-v1", "README.md")).toBe("hello");
    expect(await git(repo, "log", "-1", "--format=%s", "mlops/m-v1")).toBe("Promote m v1");
  });

  it("a rerun moves the same branch instead of opening another", async () => {
    const files = [{ path: "a.txt", content: "1\n" }];
    const first = await commitToBranch(repo, {
      baseRef: "main",
      branch: "mlops/m-v1",
      files,
      message: "one",
    });
    const second = await commitToBranch(repo, {
      baseRef: "main",
      branch: "mlops/m-v1",
      files: [{ path: "a.txt", content: "2\n" }],
      message: "two",
    });
    expect(second.commit).not.toBe(first.commit);
    expect(await git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/mlops/")).toBe(
      "mlops/m-v1",
    );
    expect(await showFile(repo, "mlops/m-v1", "a.txt")).toBe("2");
  });

  it("refuses a missing base branch with the fix", async () => {
    await expect(
      commitToBranch(repo, { baseRef: "trunk", branch: "x", files: [], message: "m" }),
    ).rejects.toThrow(/base branch "trunk" does not exist.*MLOPS_BASE_BRANCH/);
  });
});

describe("the registry", () => {
  it("numbers versions past merged and pending ones, and knows what was trained on", async () => {
    const reg = new Registry(repo, "models", "m");
    expect(await reg.nextVersion()).toBe("v1");
    expect(await reg.production()).toBeUndefined();

    await mkdir(join(repo, "models/m/v1"), { recursive: true });
    await writeFile(
      join(repo, "models/m/v1/lineage.json"),
      lineage("data-manifests/a.json", "a".repeat(64)),
    );
    await commitToBranch(repo, {
      baseRef: "main",
      branch: "mlops/m-v2",
      files: [
        {
          path: "models/m/v2/lineage.json",
          content: lineage("data-manifests/b.json", "b".repeat(64)),
        },
      ],
      message: "v2",
    });

    expect(await reg.versions()).toEqual(["v1"]);
    expect(await reg.pendingVersions()).toEqual(["v2"]);
    expect(await reg.nextVersion()).toBe("v3");
    const trained = await reg.trainedManifests();
    expect(trained.get(`data-manifests/a.json@${"a".repeat(64)}`)).toMatchObject({
      version: "v1",
      pending: false,
    });
    expect(trained.get(`data-manifests/b.json@${"b".repeat(64)}`)).toMatchObject({
      version: "v2",
      pending: true,
    });
  });

  it("a corrupt production pointer is an error that says how to fix it", async () => {
    await mkdir(join(repo, "models/m"), { recursive: true });
    await writeFile(join(repo, "models/m/production.json"), "{not json");
    await expect(new Registry(repo, "models", "m").production()).rejects.toThrow(
      /models\/m\/production.json is not valid JSON.*git/,
    );
  });
});

describe("version reservations", () => {
  it("gives racing runs different numbers, and a resumed run its own number back", async () => {
    const reg = new Registry(repo, "models", "race");
    const runs = ["run-a", "run-b", "run-c", "run-d", "run-e"];
    // Separate Registry objects, as separate processes would have.
    const got = await Promise.all(
      runs.map((id) => new Registry(repo, "models", "race").reserveVersion(id)),
    );
    expect([...got].sort()).toEqual(["v1", "v2", "v3", "v4", "v5"]);
    expect(await reg.reserveVersion("run-c")).toBe(got[2]);
    expect(await reg.nextVersion()).toBe("v6");
    expect(
      await git(repo, "for-each-ref", "--format=%(refname)", "refs/mlops/reserved/race/"),
    ).toContain("refs/mlops/reserved/race/v5");
  });
});
