/**
 * deploy_to_production: proposes the candidate. The artifact goes to the artifact store
 * under content-addressed keys first; then one commit on `mlops/<model>-vN` adds the
 * registry entry, the plots as PNG (training curves, confusion matrix, the data gate's
 * contact sheet) and moves the production pointer; the pull request's body, composed
 * from that commit so it shows the plots, is written to the run folder. Nothing ships
 * until a person (or the promote workflow after a merge) acts: the user's branch and
 * working tree are never touched.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { publishModelFolder } from "../../lib/artifacts.ts";
import { artifactsUri } from "../../lib/config.ts";
import type { ProposalLinks } from "../../lib/github/target.ts";
import { manifestSha256 } from "../../lib/manifest-file.ts";
import { imageToPng, svgToPng } from "../../lib/plots-png.ts";
import { promotionBranch, registryPaths, type ProductionPointer } from "../../lib/registry.ts";
import { runFolder, TRAINING_FILES } from "../../lib/run-folder.ts";
import { type ProposalPlots, renderModelCard, renderPullRequestBody } from "../render.ts";
import { type NodeConfig, servicesOf } from "../services.ts";
import { type MLOpsStateType, type MLOpsUpdate, step } from "../state.ts";

const json = (x: unknown) => JSON.stringify(x, null, 2) + "\n";

/** The proven .tflite files, the shipped variant first. */
function shippedFirst(state: MLOpsStateType): string[] {
  const t = state.tflite;
  if (!t) return [];
  const files = t.variants
    .filter((v) => v.file)
    .sort((a, b) => Number(b.variant === t.ship) - Number(a.variant === t.ship));
  return files.map((v) => v.file!);
}

type PlotKey = keyof ProposalPlots;
type PlotFiles = Partial<Record<PlotKey, { path: string; content: Buffer }>>;

/**
 * The run's pictures as PNG files for the version's registry folder: the worker's SVG
 * charts and the data gate's contact sheet (drawn only when it flagged images). A missing
 * or unreadable picture is left out, with a log line: the plots illustrate the proposal,
 * they do not decide it.
 */
async function plotFiles(
  runDir: string,
  to: Record<PlotKey, string>,
  log: (m: string) => void,
): Promise<PlotFiles> {
  const folder = runFolder(runDir);
  const sources: [PlotKey, string, (b: Buffer, what: string) => Promise<{ png: Buffer }>][] = [
    ["curves", join(folder.candidate, TRAINING_FILES.curves), svgToPng],
    ["confusion", join(folder.candidate, TRAINING_FILES.confusion), svgToPng],
    ["contactSheet", folder.quality.contactSheet, imageToPng],
  ];
  const out: PlotFiles = {};
  for (const [key, source, toPng] of sources) {
    if (!existsSync(source)) {
      if (key !== "contactSheet") log(`deploy_to_production: no ${basename(source)} to show`);
      continue;
    }
    try {
      out[key] = {
        path: to[key],
        content: (await toPng(await readFile(source), basename(source))).png,
      };
    } catch (err) {
      log(
        `deploy_to_production: warning: ${basename(source)} left out of the proposal: ${(err as Error).message}`,
      );
    }
  }
  return out;
}

/** Each committed plot through `link` (a URL, a repository path, a file name). */
function plotLinks(files: PlotFiles, link: (path: string) => string): ProposalPlots {
  const out: ProposalPlots = {};
  for (const [key, file] of Object.entries(files) as [PlotKey, { path: string }][])
    out[key] = link(file.path);
  return out;
}

/** The node. */
export async function deployToProduction(
  state: MLOpsStateType,
  config: NodeConfig,
): Promise<MLOpsUpdate> {
  const services = servicesOf(config);
  const { repoDir, config: cfg, log } = services;
  const version = state.model_version!;
  const decision = state.deployment_decision!;
  const store = services.openStore(artifactsUri(repoDir, cfg));
  const artifact = await publishModelFolder(store, cfg.model_name, state.candidate_model_path!, {
    inputSize: cfg.training.input_size,
    labels: cfg.labels,
    tflite: shippedFirst(state),
  });
  const paths = registryPaths(cfg.paths.registry, cfg.model_name);
  const v = paths.version(version);
  const t = state.training_summary!;
  const pointer: ProductionPointer = {
    model: cfg.model_name,
    version,
    artifact,
    decided: decision === "APPROVE" ? "APPROVE" : "HUMAN_REVIEW",
    reason: state.decision_reason!,
    proposed_at: new Date().toISOString(),
  };
  const evaluation = { path: cfg.paths.eval_manifest, images: t.eval_images };
  const plots = await plotFiles(services.runDir(state.run_id), v.plots, log);
  const files = [
    {
      path: v.metrics,
      content: json({
        version,
        run_id: state.run_id,
        evaluation,
        ...state.candidate_metrics,
        production_version: state.production_version,
        production: state.production_metrics,
        tflite: state.tflite,
      }),
    },
    { path: v.artifact, content: json(artifact) },
    {
      path: v.lineage,
      content: json({
        manifests: t.manifests,
        eval_manifest: {
          ...evaluation,
          sha256: await manifestSha256(join(repoDir, cfg.paths.eval_manifest)),
        },
        run_id: state.run_id,
      }),
    },
    { path: v.card, content: renderModelCard(state, cfg, artifact, plotLinks(plots, basename)) },
    ...Object.values(plots),
    { path: paths.production, content: json(pointer) },
  ];
  const branch = promotionBranch(cfg.model_name, version);
  const title = `${decision === "HUMAN_REVIEW" ? "[review] " : ""}Promote ${cfg.model_name} ${version}`;
  const proposal = await services.promotionTarget.propose({
    decision: decision === "APPROVE" ? "APPROVE" : "HUMAN_REVIEW",
    baseBranch: cfg.git.base_branch,
    branch,
    files,
    commitMessage: `${title}\n\n${state.decision_reason}\n\nRun: ${state.run_id}\n`,
    title,
    body: (links: ProposalLinks) =>
      renderPullRequestBody(
        state,
        cfg,
        artifact,
        plotLinks(plots, (p) => links.file(p)),
      ),
  });
  const { commit, base, body } = proposal;
  for (const w of proposal.warnings) log(`deploy_to_production: warning: ${w}`);
  const prBodyPath = runFolder(services.runDir(state.run_id)).pullRequest;
  await writeFile(prBodyPath, `# ${title}\n\n${body}`);
  const where = proposal.pullRequest
    ? `pull request #${proposal.pullRequest.number} ${proposal.pullRequest.url}`
    : `pull request body: ${prBodyPath}`;
  log(
    `deploy_to_production: ${proposal.draft ? "draft " : ""}proposal on branch ${branch} (${commit.slice(0, 10)}); ${where}`,
  );
  return {
    promotion: {
      branch,
      commit,
      base,
      draft: proposal.draft,
      pr_body_path: prBodyPath,
      pr_url: proposal.pullRequest?.url ?? null,
      pr_number: proposal.pullRequest?.number ?? null,
      plots: plotLinks(plots, (p) => proposal.links.file(p)),
    },
    steps: step("deploy_to_production", `${branch} ${commit.slice(0, 10)}`),
  };
}
