/**
 * The one place services are built from config and environment: stores, the registry,
 * GitHub (one client, from the token), the VLM reviewer, the LLM analyst, the alert
 * channels and the DL worker. Use cases call `createServices`; a test passes `overrides`
 * to swap one part (a trainer, a reviewer) without touching the rest.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AnalystSettings, type MlopsConfig, resolveIn } from "../lib/config.ts";
import { type GitHubClient, gitHubClientFromEnv } from "../lib/github/client.ts";
import { promotionTargetFor } from "../lib/github/target.ts";
import { createChannelNotifier, createFileNotifier } from "../lib/notify/index.ts";
import { Registry } from "../lib/registry.ts";
import { HashCache, type ObjectStore, storeOpener } from "../lib/storage/index.ts";
import { vlmNotConfiguredReason, type VlmSettings } from "../lib/vlm/settings.ts";
import type { VlmReviewer } from "../lib/vlm/types.ts";
import {
  ANALYST_API_KEY_ENV,
  type AnalystLlm,
  analystNotConfiguredReason,
} from "../lib/analyst/llm.ts";
import type { Notifier, PipelineServices } from "../graph/services.ts";
import { createLocalTrainer } from "./trainer.ts";

/** The pipeline's services plus what only use cases need. */
export interface AppServices extends PipelineServices {
  /** The GitHub client, when a token is there to build one (see `publishingEnv`). */
  github?: GitHubClient;
}

/** Hooks of the host: `core.setSecret` and `core.warning` in Actions. */
export interface HostHooks {
  setSecret?: (secret: string) => void;
  warn?: (message: string) => void;
}

/**
 * The environment as the GitHub-facing services see it: GitHub is used only inside
 * Actions (GITHUB_ACTIONS=true) or when asked for (MLOPS_PUBLISH=github), so a token in a
 * developer's shell never turns the demo or a local run into real pull requests.
 */
export function publishingEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const onGitHub = env.GITHUB_ACTIONS === "true" || env.MLOPS_PUBLISH === "github";
  return onGitHub ? env : { ...env, GITHUB_TOKEN: undefined };
}

/**
 * The VLM reviewer the settings ask for, or why there is none. The OpenAI client loads on
 * the first review, so a run without a VLM (the embedded default) never pays for it.
 */
export function vlmReviewerOf(
  settings: VlmSettings,
  env: NodeJS.ProcessEnv,
  log: (m: string) => void,
): VlmReviewer | { reason: string } {
  const reason = vlmNotConfiguredReason(settings);
  if (reason) return { reason };
  let reviewer: Promise<VlmReviewer | { reason: string }> | undefined;
  return {
    model: settings.model ?? "",
    async review(request) {
      reviewer ??= import("../lib/vlm/client.ts").then((m) =>
        m.vlmReviewerFromSettings(settings, env, { log }),
      );
      const real = await reviewer;
      if ("reason" in real) return { consulted: false, reason: real.reason, attempts: [] };
      return real.review(request);
    },
  };
}

/**
 * The LLM analyst the settings ask for, or why there is none (then the rules decide). Its
 * key is `MLOPS_LLM_API_KEY` of `env`, never the committed config. The OpenAI client
 * loads on the first question, so a run without an LLM analyst (the default) never pays
 * for it.
 */
export function analystLlmOf(
  settings: AnalystSettings,
  env: NodeJS.ProcessEnv,
): AnalystLlm | { reason: string } {
  const reason = analystNotConfiguredReason(settings);
  if (reason) return { reason };
  const base_url = settings.base_url!;
  let analyst: Promise<AnalystLlm> | undefined;
  return {
    model: settings.model,
    base_url,
    async ask(prompt) {
      analyst ??= import("../lib/analyst/ask.ts").then((m) =>
        m.createAnalystLlm({ ...settings, base_url }, { apiKey: env[ANALYST_API_KEY_ENV] }),
      );
      return (await analyst).ask(prompt);
    },
  };
}

/**
 * Opens stores by base URI with the config's `s3` and `storage` sections: `file:///` folders
 * only under the repository, the working folder, the system temp folder and
 * `storage.file_roots`.
 */
export function storesOf(repoDir: string, config: MlopsConfig): (uri: string) => ObjectStore {
  return storeOpener(config.s3, {
    fileRoots: [
      repoDir,
      process.cwd(),
      tmpdir(),
      ...config.storage.file_roots.map((r) => resolveIn(repoDir, r)),
    ],
    maxObjectBytes: config.storage.max_object_bytes,
    fileTimeoutMs: config.storage.file_timeout_ms,
  });
}

/** The GitHub client of an environment, when publishing to GitHub is on (see `publishingEnv`). */
export function gitHubOf(env: NodeJS.ProcessEnv, hooks: HostHooks = {}): GitHubClient | undefined {
  return gitHubClientFromEnv(publishingEnv(env), hooks.warn ? { log: hooks.warn } : undefined);
}

/**
 * The alert channels: console + alert.md always, and Slack, Teams, e-mail and a GitHub
 * issue as the `notify` section or the environment (MLOPS_SLACK_WEBHOOK_URL,
 * MLOPS_SMTP_HOST, ...) turn them on; the issue is on by default in Actions when there
 * is a GitHub client (lib/notify/plan.ts). Logs which are on; `hooks.warn` gets what is
 * set but cannot work.
 */
export function notifierOf(
  config: MlopsConfig,
  env: NodeJS.ProcessEnv,
  log: (m: string) => void,
  hooks: HostHooks = {},
  github?: GitHubClient,
): Notifier {
  return createChannelNotifier({
    config: config.notify,
    env,
    log,
    warn: hooks.warn,
    setSecret: hooks.setSecret,
    octokit: github?.octokit,
    repo: github ? { owner: github.owner, repo: github.repo } : undefined,
    file: createFileNotifier(log),
  });
}

/** The services for a repository folder: the embedded defaults, GitHub and channels when configured. */
export function createServices(
  repoDir: string,
  config: MlopsConfig,
  overrides: Partial<AppServices> = {},
  env: NodeJS.ProcessEnv = process.env,
  hooks: HostHooks = {},
): AppServices {
  const log = overrides.log ?? ((m: string) => console.log(m));
  const github = overrides.github ?? gitHubOf(env, hooks);
  return {
    repoDir,
    config,
    registry: new Registry(repoDir, config.paths.registry, config.model_name),
    cache: new HashCache(resolveIn(repoDir, config.paths.cache)),
    openStore: storesOf(repoDir, config),
    trainer: createLocalTrainer(config),
    notifier: notifierOf(config, env, log, hooks, github),
    promotionTarget: promotionTargetFor(github, {
      repoDir,
      reviewers: config.github.reviewers,
      serverUrl: env.GITHUB_SERVER_URL,
    }),
    runDir: (runId) => join(resolveIn(repoDir, config.paths.runs), runId),
    log,
    vlm: vlmReviewerOf(config.quality.vlm, env, log),
    analyst: analystLlmOf(config.analyst, env),
    ...(github ? { github } : {}),
    ...overrides,
  };
}
