/**
 * The world the GitOps end-to-end test runs in, all on 127.0.0.1: a GitHub REST stand-in
 * that keeps real state, S3 as s3rver, Slack/Teams webhook and SMTP receivers, and a
 * scratch repository whose main is pushed to the stand-in; plus the action entries run as
 * GitHub Actions runs them (separate processes, INPUT_* variables, GITHUB_OUTPUT).
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createScratchRepo } from "../../synth/scratch-repo.ts";
import { createGitHubClient } from "../../lib/github/client.ts";
import { S3Store, createS3Client } from "../../lib/storage/index.ts";
import { startGitHubServer } from "./github-server.ts";
import { startSmtpReceiver, startWebhookReceiver } from "./notify-receivers.ts";
import { startS3rver } from "./s3rver.ts";

const projectDir = resolve(import.meta.dirname, "../..");

/** What the scratch repository's config may use of the world: where S3 and SMTP listen. */
export interface WorldEndpoints {
  s3Endpoint: string;
  smtpPort: number;
}

/** The running world; `stop` ends every server and removes the workspace. */
export type GitOpsWorld = Awaited<ReturnType<typeof startGitOpsWorld>>;

/** Starts the servers, creates the scratch repository (config edited by `configure`) and pushes its main. */
export async function startGitOpsWorld(opts: {
  evalPerClass: number;
  configure: (config: Record<string, unknown>, at: WorldEndpoints) => Record<string, unknown>;
}) {
  const workspace = await mkdtemp(join(tmpdir(), "mlops-gitops-"));
  const gh = await startGitHubServer({ owner: "farm", repo: "mango", collaborators: ["reviewer"] });
  const s3 = await startS3rver({ buckets: ["artifacts", "serving"] });
  const hooks = await startWebhookReceiver();
  const smtp = await startSmtpReceiver();
  const client = createGitHubClient({
    token: gh.token,
    baseUrl: gh.baseUrl,
    owner: gh.owner,
    repo: gh.repo,
    retry: { sleep: async () => {}, log: () => {} },
  });
  const scratch = await createScratchRepo({
    workspace: join(workspace, "ws"),
    evalPerClass: opts.evalPerClass,
    configure: (c) => opts.configure(c, { s3Endpoint: s3.endpoint, smtpPort: smtp.port }),
  });

  /** Runs an action entry in its own process, as the composite action's `npx tsx main.ts` does. */
  async function runAction(
    action: string,
    inputs: Record<string, string>,
    extraEnv: Record<string, string> = {},
  ): Promise<{ code: number | null; out: string; outputs: Record<string, string> }> {
    const outputFile = join(
      workspace,
      `output-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    );
    await writeFile(outputFile, "");
    await writeFile(join(workspace, "summary.md"), "", { flag: "a" });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GITHUB_ACTIONS: "true",
      GITHUB_WORKSPACE: scratch.repo,
      GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`,
      GITHUB_API_URL: gh.baseUrl,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: join(workspace, "summary.md"),
      AWS_ACCESS_KEY_ID: s3.settings.credentials!.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.settings.credentials!.secretAccessKey,
      MLOPS_SLACK_WEBHOOK_URL: hooks.url("/slack/T000/B000/secret"),
      MLOPS_TEAMS_WEBHOOK_URL: hooks.url("/teams/webhook?sig=secret"),
      TF_CPP_MIN_LOG_LEVEL: "2",
      ...Object.fromEntries(
        Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]),
      ),
      ...extraEnv,
    };
    return new Promise((res, rej) => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", join(projectDir, "actions", action, "main.ts")],
        { cwd: projectDir, env },
      );
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      child.on("error", rej);
      child.on("close", async (code) => {
        // GITHUB_OUTPUT's multi-line format: name<<DELIM / value / DELIM.
        const text = await readFile(outputFile, "utf8");
        const outputs: Record<string, string> = {};
        for (const m of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm))
          outputs[m[1]!] = m[3]!;
        res({ code, out, outputs });
      });
    });
  }

  /** The repository's files as a commit on the stand-in's main: what `git push` would have done. */
  async function pushLocalMain(): Promise<string> {
    const files = (await scratch.git("ls-files")).split("\n").filter(Boolean);
    const { owner, repo } = gh;
    const tree = await client.octokit.rest.git.createTree({
      owner,
      repo,
      tree: await Promise.all(
        files.map(async (path) => ({
          path,
          mode: "100644" as const,
          type: "blob" as const,
          sha: (
            await client.octokit.rest.git.createBlob({
              owner,
              repo,
              content: (await readFile(join(scratch.repo, path))).toString("base64"),
              encoding: "base64",
            })
          ).data.sha,
        })),
      ),
    });
    const parents = await client.octokit.rest.git
      .getRef({ owner, repo, ref: "heads/main" })
      .then((r) => [r.data.object.sha])
      .catch(() => []);
    const commit = await client.octokit.rest.git.createCommit({
      owner,
      repo,
      message: "push",
      tree: tree.data.sha,
      parents,
    });
    if (parents.length)
      await client.octokit.rest.git.updateRef({
        owner,
        repo,
        ref: "heads/main",
        sha: commit.data.sha,
        force: true,
      });
    else
      await client.octokit.rest.git.createRef({
        owner,
        repo,
        ref: "refs/heads/main",
        sha: commit.data.sha,
      });
    return commit.data.sha;
  }

  /** `git pull` of the registry after a merge on GitHub: models/ as it is at `ref` (contents API). */
  async function pullRegistry(ref: string): Promise<void> {
    const { owner, repo } = gh;
    const root = "models/mango-ripeness";
    const paths = [
      `${root}/production.json`,
      ...[1, 2, 3].flatMap((n) =>
        ["metrics.json", "artifact.json", "lineage.json", "model-card.md"].map(
          (f) => `${root}/v${n}/${f}`,
        ),
      ),
    ];
    for (const path of paths) {
      const local = join(scratch.repo, path);
      const content = await client.octokit.rest.repos
        .getContent({ owner, repo, path, ref })
        .catch((err: { status?: number }) => {
          if (err.status === 404) return undefined;
          throw err;
        });
      if (!content) {
        await rm(local, { force: true });
        continue;
      }
      await mkdir(dirname(local), { recursive: true });
      await writeFile(local, Buffer.from((content.data as { content: string }).content, "base64"));
    }
    await scratch.git("add", "-A", "models");
    await scratch.git("commit", "-q", "--allow-empty", "-m", `pull ${ref.slice(0, 10)}`);
  }

  async function served(): Promise<{ version: string; sha256: string; bytes: Buffer }> {
    const store = new S3Store("s3://serving/app", createS3Client(s3.settings));
    const record = JSON.parse(
      (await store.get("mango-ripeness/production/production.json")).toString(),
    ) as { version: string; sha256: string };
    return { ...record, bytes: await store.get("mango-ripeness/production/model.tflite") };
  }

  const stop = async () => {
    await smtp.stop();
    await hooks.stop();
    await s3.stop();
    await gh.stop();
    await rm(workspace, { recursive: true, force: true });
  };

  await pushLocalMain();
  return { workspace, gh, s3, hooks, smtp, client, scratch, runAction, pullRegistry, served, stop };
}
