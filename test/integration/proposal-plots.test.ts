/**
 * The plots a reviewer sees: deploy_to_production, run with the services app/services.ts
 * builds, commits the training curves, the confusion matrix and the data gate's contact
 * sheet as PNG next to the model card, and the pull request body shows exactly those files:
 * on a local branch by repository path (read back with git), on GitHub (the stand-in,
 * through the real Octokit) by the URL of the file at the proposal's commit.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { marked, type Tokens } from "marked";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createServices } from "../../app/services.ts";
import { deployToProduction } from "../../graph/nodes/deploy-to-production.ts";
import type { NodeConfig } from "../../graph/services.ts";
import type { MLOpsStateType, PromotionRef } from "../../graph/state.ts";
import { createGitHubClient } from "../../lib/github/client.ts";
import { isPng } from "../../lib/plots-png.ts";
import { renderContactSheet } from "../../lib/quality/contact-sheet.ts";
import type { ImageReport } from "../../lib/quality/shard-check.ts";
import { registryPaths } from "../../lib/registry.ts";
import { runFolder, TRAINING_FILES } from "../../lib/run-folder.ts";
import { createScratchRepo, type ScratchRepo } from "../../synth/scratch-repo.ts";
import { renderConfusionMatrix, renderTrainingCurves } from "../../worker/plots.ts";
import { approvedState } from "../helpers/fixed-state.ts";
import { startGitHubServer, type RunningGitHubServer } from "../helpers/github-server.ts";

const exec = promisify(execFile);
let workspace = "";
let scratch: ScratchRepo;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), "proposal-plots-"));
  scratch = await createScratchRepo({ workspace, evalPerClass: 1 });
}, 60_000);
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

/** What training and the data gate leave in a run folder: the model, the SVGs, the sheet. */
async function fillRunFolder(runDir: string, withSheet: boolean): Promise<void> {
  const folder = runFolder(runDir);
  await mkdir(join(folder.candidate, TRAINING_FILES.model), { recursive: true });
  await writeFile(join(folder.candidate, TRAINING_FILES.model, "model.json"), '{"format":"x"}\n');
  const history = [1, 2, 3, 4].map((epoch) => ({
    epoch,
    loss: 1 / epoch,
    accuracy: 1 - 0.5 / epoch,
    val_loss: 1.2 / epoch,
    val_accuracy: 1 - 0.6 / epoch,
    seconds: 1,
    images_per_s: 100,
  }));
  await writeFile(join(folder.candidate, TRAINING_FILES.curves), renderTrainingCurves(history, 3));
  const cm = approvedState().candidate_metrics!.confusion_matrix;
  await writeFile(join(folder.candidate, TRAINING_FILES.confusion), renderConfusionMatrix(cm));
  if (!withSheet) return;
  const photo = (r: number) =>
    sharp({ create: { width: 120, height: 90, channels: 3, background: { r, g: 160, b: 40 } } })
      .jpeg()
      .toBuffer();
  const flagged: ImageReport[] = [0, 1, 2].map((i) => ({
    key: `b/farm/img-${i}.jpg`,
    label: "verde",
    split: "train",
    sha256: String(i).repeat(64),
    findings: [{ check: "blur", severity: "warning", message: "soft focus", fix: "retake it" }],
  }));
  await writeFile(
    folder.quality.contactSheet,
    await renderContactSheet(flagged, async (img) => photo(60 * Number(img.key.at(-5)))),
  );
}

/** The state deploy_to_production receives after analyze_performance approved v3. */
function stateFor(runDir: string, runId: string): MLOpsStateType {
  return {
    ...approvedState(),
    run_id: runId,
    candidate_model_path: join(runFolder(runDir).candidate, TRAINING_FILES.model),
    tflite: null,
  };
}

/** Runs the node with the services of `env`; returns its promotion, the body it wrote, its log. */
async function deploy(runId: string, withSheet: boolean, env: NodeJS.ProcessEnv = {}) {
  const logs: string[] = [];
  const services = createServices(
    scratch.repo,
    scratch.config(),
    { log: (m) => logs.push(m) },
    env,
  );
  const runDir = services.runDir(runId);
  await fillRunFolder(runDir, withSheet);
  const update = await deployToProduction(stateFor(runDir, runId), {
    context: { services },
  } as NodeConfig);
  const body = await readFile(runFolder(runDir).pullRequest, "utf8");
  return { promotion: update.promotion as PromotionRef, body, logs };
}

const images = (md: string) =>
  marked
    .lexer(md)
    .flatMap((t) => (t.type === "paragraph" ? (t as Tokens.Paragraph).tokens : []))
    .filter((t): t is Tokens.Image => t.type === "image")
    .map((t) => t.href);

/** A committed picture is a PNG of sane size: 200 to 2000 px wide, under 600 kB. */
async function expectPng(bytes: Buffer, what: string): Promise<void> {
  expect(isPng(bytes), what).toBe(true);
  const meta = await sharp(bytes).metadata();
  expect(meta.format, what).toBe("png");
  expect(meta.width, what).toBeGreaterThanOrEqual(200);
  expect(meta.width, what).toBeLessThanOrEqual(2000);
  expect(meta.height, what).toBeGreaterThanOrEqual(100);
  expect(bytes.length, what).toBeLessThan(600_000);
}

const v3 = () => registryPaths("models", "mango-ripeness").version("v3");

describe("plots on a local proposal branch", () => {
  it("commits the three PNG files next to the model card and the body shows them by path", async () => {
    const { promotion, body } = await deploy("local-run-1", true);
    const branch = promotion.branch;
    const shown = images(body);
    const p = v3().plots;
    expect(shown).toEqual([p.curves, p.confusion, p.contactSheet]);
    expect(promotion.plots).toEqual({
      curves: p.curves,
      confusion: p.confusion,
      contactSheet: p.contactSheet,
    });
    for (const path of shown) {
      const { stdout } = await exec("git", ["cat-file", "blob", `${branch}:${path}`], {
        cwd: scratch.repo,
        encoding: "buffer",
      });
      await expectPng(stdout, path);
    }
    const card = (await exec("git", ["show", `${branch}:${v3().card}`], { cwd: scratch.repo }))
      .stdout;
    expect(images(card)).toEqual([
      "training-curves.png",
      "confusion-matrix.png",
      "contact-sheet.png",
    ]);
    // The user's branch is untouched.
    expect(await scratch.git("ls-tree", "-r", "--name-only", "main")).not.toContain(".png");
  }, 60_000);

  it("leaves the contact sheet out, saying so, when the data gate drew none", async () => {
    const { promotion, body } = await deploy("local-run-2", false);
    expect(images(body)).toEqual([v3().plots.curves, v3().plots.confusion]);
    expect(body).toContain("_No contact sheet:");
    const tree = await scratch.git("ls-tree", "-r", "--name-only", promotion.branch);
    expect(tree).not.toContain("contact-sheet.png");
  }, 60_000);
});

describe("plots on a GitHub proposal", () => {
  let gh: RunningGitHubServer;
  beforeEach(async () => {
    gh = await startGitHubServer();
  });
  afterEach(async () => {
    await gh.stop();
  });

  it("shows the PNG files at the proposal's commit by URL, and those files exist there", async () => {
    const env = {
      GITHUB_ACTIONS: "true",
      GITHUB_TOKEN: gh.token,
      GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`,
      GITHUB_API_URL: gh.baseUrl,
      // The web host Actions names; the API is the stand-in's.
      GITHUB_SERVER_URL: "https://github.example",
    };
    const { promotion } = await deploy("github-run-1", true, env);
    const client = createGitHubClient({
      token: gh.token,
      baseUrl: gh.baseUrl,
      owner: gh.owner,
      repo: gh.repo,
    });
    const pr = gh.state.issues.find((i) => i.pull)!;
    const commit = promotion.commit;
    const shown = images(pr.body ?? "");
    expect(shown).toHaveLength(3);
    const prefix = `https://github.example/${gh.owner}/${gh.repo}/blob/${commit}/`;
    for (const url of shown) {
      expect(url.startsWith(prefix) && url.endsWith(".png?raw=true"), url).toBe(true);
      const path = decodeURIComponent(url.slice(prefix.length, -"?raw=true".length));
      const { data } = await client.octokit.rest.repos.getContent({
        owner: gh.owner,
        repo: gh.repo,
        path,
        ref: commit,
      });
      await expectPng(Buffer.from((data as { content: string }).content, "base64"), path);
    }
    expect(Object.values(promotion.plots!)).toEqual(shown);
    expect(shown.map((u) => u.split("/").at(-1))).toEqual([
      "training-curves.png?raw=true",
      "confusion-matrix.png?raw=true",
      "contact-sheet.png?raw=true",
    ]);
  }, 60_000);
});
