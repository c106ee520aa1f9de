/**
 * deploy_to_production: proposes the candidate. The artifact goes to the artifact store
 * under content-addressed keys first; then one commit on `mlops/<model>-vN` adds the
 * registry entry and moves the production pointer, and the pull request's body is
 * written to the run folder. Nothing ships until a person (or the promote workflow after
 * a merge) acts: the user's branch and working tree are never touched.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { publishModelFolder } from "../../lib/artifacts.ts";
import { artifactsUri } from "../../lib/config.ts";
import { manifestSha256 } from "../../lib/manifest-file.ts";
import { promotionBranch, registryPaths, type ProductionPointer } from "../../lib/registry.ts";
import { renderModelCard, renderPullRequestBody } from "../render.ts";
import { type NodeConfig, servicesOf } from "../services.ts";
import { type MLOpsStateType, type MLOpsUpdate, step } from "../state.ts";
import { runFolder } from "../../lib/run-folder.ts";

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
    { path: v.card, content: renderModelCard(state, cfg, artifact) },
    { path: paths.production, content: json(pointer) },
  ];
  const branch = promotionBranch(cfg.model_name, version);
  const title = `${decision === "HUMAN_REVIEW" ? "[review] " : ""}Promote ${cfg.model_name} ${version}`;
  const body = renderPullRequestBody(state, cfg, artifact);
  const proposal = await services.promotionTarget.propose({
    decision: decision === "APPROVE" ? "APPROVE" : "HUMAN_REVIEW",
    baseBranch: cfg.git.base_branch,
    branch,
    files,
    commitMessage: `${title}\n\n${state.decision_reason}\n\nRun: ${state.run_id}\n`,
    title,
    body,
  });
  const { commit, base } = proposal;
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
    },
    steps: step("deploy_to_production", `${branch} ${commit.slice(0, 10)}`),
  };
}
