/**
 * Every command behaves as its ecosystem expects: `--help` prints the usage on stdout and
 * exits 0 before anything heavy loads (no TensorFlow banner, no demo workspace wiped), and
 * an unknown flag is a usage error on stderr with exit 2. Each runs as a user runs it.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const REPO = resolve(import.meta.dirname, "../..");
const exec = promisify(execFile);

const COMMANDS: Array<[string, string]> = [
  ["pipeline", "cli/pipeline.ts"],
  ["validate", "cli/validate.ts"],
  ["train", "cli/train.ts"],
  ["synth", "cli/synth.ts"],
  ["manifest", "cli/manifest.ts"],
  ["demo", "cli/demo.ts"],
  ["bench", "bench/run.ts"],
];

async function run(script: string, args: string[]) {
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      ["--import", "tsx", resolve(REPO, script), ...args],
      { cwd: REPO, env: { ...process.env, DEMO_DIR: "/nonexistent/never-written" } },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("commands", () => {
  it.each(COMMANDS)(
    "%s --help: the usage on stdout, exit 0, nothing heavy loaded",
    async (name, script) => {
      const r = await run(script, ["--help"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: npm run ${name}`));
      expect(r.stderr).not.toMatch(/tensorflow|oneDNN|absl/i);
    },
    30_000,
  );

  it.each(COMMANDS)(
    "%s --bogus: a usage error on stderr, exit 2",
    async (_name, script) => {
      const r = await run(script, ["--bogus"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/unknown option "--bogus"/);
      expect(r.stderr).toMatch(/usage: npm run/);
      expect(r.stdout).toBe("");
    },
    30_000,
  );
});
