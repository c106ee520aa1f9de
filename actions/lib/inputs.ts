/**
 * What every action entry shares: optional inputs, the checked-out repository and its
 * config, and a GitHub client from the token input. Kept tiny: the work lives in lib/.
 */
import * as core from "@actions/core";
import { join } from "node:path";
import { loadConfig, type MlopsConfig } from "../../lib/config.ts";
import { createGitHubClient, parseRepository, type GitHubClient } from "../../lib/github/client.ts";

/** An input, or undefined when empty (Actions passes "" for an unset input). */
export function optionalInput(name: string): string | undefined {
  return core.getInput(name).trim() || undefined;
}

/** A required input; the error names it and says how to set it. */
export function requiredInput(name: string, hint: string): string {
  const value = optionalInput(name);
  if (!value) throw new Error(`input ${name} is required: ${hint}`);
  return value;
}

/** The checked-out repository and its validated config. */
export function repository(): { repoDir: string; config: MlopsConfig } {
  const repoDir = process.env.GITHUB_WORKSPACE ?? process.cwd();
  return { repoDir, config: loadConfig(join(repoDir, "mlops.config.json")) };
}

/** A GitHub client for this repository; the token is masked in logs. */
export function githubClient(token: string): GitHubClient {
  core.setSecret(token);
  const repository = process.env.GITHUB_REPOSITORY;
  if (!repository)
    throw new Error(
      "GITHUB_REPOSITORY is not set (fix: run inside GitHub Actions, or set it to owner/repo)",
    );
  return createGitHubClient({
    token,
    baseUrl: process.env.GITHUB_API_URL ?? "https://api.github.com",
    ...parseRepository(repository),
    retry: { log: (m) => core.warning(m) },
  });
}
