/**
 * What every action entry shares: inputs (Actions passes "" for an unset one) and the
 * checked-out repository with its validated config. The work lives in app/.
 */
import * as core from "@actions/core";
import { join } from "node:path";
import { loadConfig, type MlopsConfig } from "../../lib/config.ts";

/** An input, or undefined when empty. */
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
