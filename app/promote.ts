/**
 * The promote use case: after a merge (or a revert) on the default branch, serve exactly
 * what the production pointer at that commit names, verified by sha256 (lib/github/
 * promote.ts). A failed verification changes nothing, alerts a person and throws.
 */
import { artifactsUri, type MlopsConfig } from "../lib/config.ts";
import { readProductionPointer } from "../lib/github/contents.ts";
import {
  promoteProduction,
  type PromotionOutcome,
  PromotionVerificationError,
} from "../lib/github/promote.ts";
import type { Alert } from "../lib/notify/index.ts";
import { registryPaths } from "../lib/registry.ts";
import { gitHubOf, type HostHooks, notifierOf, storesOf } from "./services.ts";

/** What to promote, and where to serve it. */
export interface PromoteRequest {
  repoDir: string;
  config: MlopsConfig;
  /** The serving location (s3://bucket/prefix or file:///folder). */
  servingUri: string;
  /** The default branch's commit whose production pointer is served. */
  commit: string;
  /** GITHUB_TOKEN (contents write: the tag and the release), GITHUB_REPOSITORY, GITHUB_API_URL. */
  env: NodeJS.ProcessEnv;
  hooks?: HostHooks;
  log: (message: string) => void;
}

/** What was served: the outcome of the promotion, and the model it is for. */
export interface PromoteResult extends PromotionOutcome {
  model: string;
}

/** The alert for a promotion whose artifact failed verification; pure. */
export function verificationAlert(
  model: string,
  pointerPath: string,
  commit: string,
  err: PromotionVerificationError,
): Alert {
  const runId = `promote-${commit.slice(0, 10)}`;
  return {
    runId,
    severity: "error",
    title: `Promotion of ${model} failed verification; production is unchanged`,
    whatHappened: `the artifact named by ${pointerPath} at ${commit} did not verify, so nothing was served.`,
    why: `${err.failures.length} file(s) of ${err.version} are missing from the artifact store, outside it, not the bytes whose sha256 the pointer records, or named so they are not plain, unique names or would share a serving key.`,
    evidence: [
      {
        label: "Files that failed verification",
        items: err.failures.map((f) => `${f.name} (${f.uri}): ${f.problem}`),
      },
    ],
    nextStep:
      "restore the artifact at its recorded location or republish it from its training run, or revert the pointer commit.",
    facts: [
      { name: "Model", value: `${model} ${err.version}` },
      { name: "Commit", value: commit.slice(0, 10) },
      { name: "Run", value: runId },
    ],
    links: [],
  };
}

/** Serves the production pointer of `commit`; a verification failure alerts, then throws. */
export async function promote(req: PromoteRequest): Promise<PromoteResult> {
  const { repoDir, config, commit, log } = req;
  const github = gitHubOf(req.env, req.hooks);
  if (!github)
    throw new Error(
      "promote needs GitHub: GITHUB_TOKEN and GITHUB_REPOSITORY inside Actions (fix: pass the github_token input, or set MLOPS_PUBLISH=github outside Actions)",
    );
  const open = storesOf(repoDir, config);
  const pointerPath = registryPaths(config.paths.registry, config.model_name).production;
  try {
    const out = await promoteProduction({
      readPointer: () => readProductionPointer(github, pointerPath, commit),
      artifactStore: open(artifactsUri(repoDir, config)),
      servingStore: open(req.servingUri),
      servingKey: `${config.model_name}/production/model.tflite`,
      client: github,
      commit,
      log,
    });
    return { ...out, model: config.model_name };
  } catch (err) {
    if (err instanceof PromotionVerificationError) {
      const notifier = notifierOf(config, req.env, log, req.hooks, github);
      await notifier.notify(
        verificationAlert(config.model_name, pointerPath, commit, err),
        `${repoDir}/.mlops/promote`,
      );
    }
    throw err;
  }
}
