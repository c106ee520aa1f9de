/**
 * The project's security rules on workflow and action files (scripts/lint-workflows.ts runs
 * them): no checkout keeps its token in .git/config, the promote workflow runs only from the
 * default branch and in the `production` environment, a pull request's own code never gets a
 * secret, a `pull_request_target` workflow never checks out the pull request's code, write
 * keys live in environments and AWS keys say what they may do. Pure.
 *
 * "A pull request's code": on `pull_request` (and its review events) every checkout is the
 * pull request's merge commit, so a job that checks out and then runs a script or a local
 * action runs it. On `pull_request_target` the checkout is the base branch's reviewed code,
 * unless a step checks out the pull request's head (its own rule), and then the same holds.
 */
import { basename, extname } from "node:path";
import { allText, entries, get, items, parseYaml, scalar, type YamlNode } from "./workflow-yaml.ts";

/** One problem in one file. */
export interface LintProblem {
  file: string;
  line?: number;
  rule: string;
  message: string;
}

/** The job condition that keeps a job to the default branch, whatever triggered it. */
export const DEFAULT_BRANCH_GUARD =
  "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)";
/** Workflows (file names without extension) that write production, and their environment. */
export const PRODUCTION_WORKFLOWS = ["promote"];
export const PRODUCTION_ENVIRONMENT = "production";
/** A secret whose name says it may write: kept to jobs with an environment. */
export const WRITE_SECRET = /(^|_)(WRITE|PROMOTE)(_|$)/;
/** The read-only AWS key of review and data jobs. */
export const READ_AWS_PREFIX = "MLOPS_READ_AWS_";

// Events whose checkout is the pull request's own code (its merge commit).
const PR_CODE_EVENTS = ["pull_request", "pull_request_review", "pull_request_review_comment"];
const PR_REF = /github\.event\.pull_request\.(head|merge_commit_sha)|github\.head_ref|refs\/pull\//;
const GIT_OPTS = String.raw`git(?:\s+(?:-c\s+\S+|--?[\w-]+(?:=\S+)?))*\s+`;
const GIT_SWITCHES_TREE = new RegExp(
  `\\b${GIT_OPTS}(?:switch|merge|rebase|pull|cherry-pick|worktree\\s+add|reset\\s+--hard)(?![\\w-])|\\bgh\\s+pr\\s+checkout\\b`,
);
const GIT_CHECKOUT = new RegExp(`\\b${GIT_OPTS}checkout(?![\\w-])`);

/**
 * Whether a run script puts another commit's whole tree in the workspace. `git checkout
 * <sha> -- <files>` takes files as data and passes, unless the pathspec is the whole tree.
 */
export function checksOutCode(script: string): boolean {
  return script
    .replace(/\\\n/g, " ")
    .split("\n")
    .some((line) => {
      if (GIT_SWITCHES_TREE.test(line)) return true;
      if (!GIT_CHECKOUT.test(line)) return false;
      const paths = /\s--\s+(.*)$/.exec(line)?.[1]?.trim();
      return !paths || /^(\.|\*|:\/|\.\/)(\s|$)/.test(paths);
    });
}

interface Step {
  node: YamlNode;
  where: string;
  uses?: string;
  runs: boolean;
  secrets: string[];
}

/** `secrets.NAME` and `secrets['NAME']` referenced in some text, in order, once each. */
export function secretNames(texts: string[]): string[] {
  const names = texts.flatMap((t) =>
    [...t.matchAll(/\bsecrets(?:\.([A-Za-z_]\w*)|\[\s*'([^']+)'\s*\])/g)].map((m) => m[1] ?? m[2]!),
  );
  return [...new Set(names)];
}

/** The events a workflow's `on:` names (a scalar, a list, a flow list or a mapping). */
function triggers(on: YamlNode | undefined): string[] {
  if (!on) return [];
  if (on.kind === "map") return on.entries.map((e) => e.key);
  if (on.kind === "seq") return on.items.map((i) => scalar(i) ?? "");
  return [...on.value.matchAll(/[\w-]+/g)].map((m) => m[0]);
}

/** A job's environment name (`environment: x` or `environment: {name: x}`), or undefined. */
function environmentOf(job: YamlNode): string | undefined {
  const env = get(job, "environment");
  if (!env) return undefined;
  const name = scalar(get(env, "name")) ?? scalar(env) ?? "";
  return (/^\{.*\bname:\s*([^,}]+)/.exec(name)?.[1] ?? name).trim() || undefined;
}

function steps(list: YamlNode | undefined, prefix: string): Step[] {
  return items(list).map((node, i) => {
    const uses = scalar(get(node, "uses"));
    const label =
      scalar(get(node, "name")) ??
      uses?.replace(/@[0-9a-f]{40}$/, "") ??
      scalar(get(node, "run"))?.split("\n")[0];
    return {
      node,
      where: `${prefix}step ${i + 1}${label ? ` ("${label.slice(0, 60)}")` : ""}`,
      uses,
      runs: get(node, "run") !== undefined || Boolean(uses?.startsWith("./")),
      secrets: secretNames(allText(node)),
    };
  });
}

const isCheckout = (s: Step) => Boolean(s.uses?.startsWith("actions/checkout@"));
const list = (names: string[]) => names.map((n) => `secrets.${n}`).join(", ");

function checkoutCredentials(file: string, all: Step[]): LintProblem[] {
  return all
    .filter(
      (s) => isCheckout(s) && scalar(get(get(s.node, "with"), "persist-credentials")) !== "false",
    )
    .map((s) => ({
      file,
      line: s.node.line,
      rule: "checkout-credentials",
      message: `${s.where}: actions/checkout keeps the job's token in .git/config for every later step (fix: add "with: persist-credentials: false", and hand a token only to the step that pushes)`,
    }));
}

/** The project's security rules on one workflow or action file's text. */
export function securityRules(
  file: string,
  text: string,
  kind: "workflow" | "action",
): LintProblem[] {
  const root = parseYaml(text);
  if (kind === "action")
    return checkoutCredentials(file, steps(get(get(root, "runs"), "steps"), ""));
  const problems: LintProblem[] = [];
  const add = (line: number | undefined, rule: string, message: string) =>
    problems.push({ file, ...(line ? { line } : {}), rule, message });
  const events = triggers(get(root, "on"));
  const prCode = events.some((e) => PR_CODE_EVENTS.includes(e));
  const prTarget = events.includes("pull_request_target");
  const production = PRODUCTION_WORKFLOWS.includes(basename(file, extname(file)));
  const workflowEnv = entries(root).find((e) => e.key === "env");
  const workflowSecrets = secretNames(allText(workflowEnv?.value));
  const workflowWrite = workflowSecrets.filter((n) => WRITE_SECRET.test(n));
  if (workflowWrite.length)
    add(
      workflowEnv!.line,
      "write-secrets-environment",
      `the workflow-level env hands write-scoped ${list(workflowWrite)} to every job (fix: pass it in the env of the one step that needs it, in a job with an environment)`,
    );
  for (const { key: id, line, value: job } of entries(get(root, "jobs"))) {
    const jobSteps = steps(get(job, "steps"), `job "${id}" `);
    const environment = environmentOf(job);
    const jobSecrets = secretNames(allText(get(job, "env")));
    problems.push(...checkoutCredentials(file, jobSteps));
    if (production) {
      if (environment !== PRODUCTION_ENVIRONMENT)
        add(
          line,
          "production-environment",
          `job "${id}" does not run in the ${PRODUCTION_ENVIRONMENT} environment (fix: "environment: ${PRODUCTION_ENVIRONMENT}", with required reviewers and a deployment branch rule for the default branch, and its write keys as that environment's secrets)`,
        );
      const condition = (scalar(get(job, "if")) ?? "").replace(/\$\{\{|\}\}|\s+/g, "");
      if (!condition.includes(DEFAULT_BRANCH_GUARD.replace(/\s+/g, "")) || condition.includes("||"))
        add(
          line,
          "default-branch-guard",
          `job "${id}" is not kept to the default branch: a dispatch from any branch or tag would serve unreviewed code (fix: "if: ${DEFAULT_BRANCH_GUARD}", and nothing or-ed to it)`,
        );
    }
    const headCheckouts = prTarget
      ? jobSteps.filter(
          (s) =>
            (isCheckout(s) && PR_REF.test(allText(get(s.node, "with")).join("\n"))) ||
            checksOutCode(scalar(get(s.node, "run")) ?? ""),
        )
      : [];
    for (const s of headCheckouts)
      add(
        s.node.line,
        "pr-target-checkout",
        `${s.where} checks out the pull request's code in a pull_request_target workflow, which runs with the repository's secrets and a write token (fix: check out the base branch, no ref:, and take only the pull request's files as data, e.g. git checkout <head sha> -- <paths>)`,
      );
    const untrusted = (prCode && jobSteps.some(isCheckout)) || headCheckouts.length > 0;
    for (const s of untrusted ? jobSteps.filter((s) => s.runs) : []) {
      const handed = [...new Set([...s.secrets, ...jobSecrets, ...workflowSecrets])];
      if (handed.length)
        add(
          s.node.line,
          "pr-secrets",
          `${s.where} hands ${list(handed)} to code from the pull request (a fork gets no secrets, a branch of this repository gets them all) (fix: drop the secrets from this job, or review in a pull_request_target workflow that runs the base branch's code and reads the pull request only as data)`,
        );
    }
    if (prCode && get(job, "uses") && get(job, "secrets"))
      add(
        line,
        "pr-secrets",
        `job "${id}" passes secrets to a reusable workflow on a pull request event, which runs the pull request's code (fix: drop "secrets:" from this job)`,
      );
    const used = secretNames([...allText(job), ...workflowSecrets.map((n) => `secrets.${n}`)]);
    const write = used.filter((n) => WRITE_SECRET.test(n));
    if (write.length && !environment)
      add(
        line,
        "write-secrets-environment",
        `job "${id}" uses write-scoped ${list(write)} without an environment, so a workflow on any branch could use them (fix: "environment: <name>" with a deployment branch rule for the default branch, and store them as that environment's secrets)`,
      );
  }
  text.split("\n").forEach((l, i) => {
    if (l.trim().startsWith("#")) return;
    for (const name of secretNames([l]))
      if (/AWS/.test(name) && !name.startsWith(READ_AWS_PREFIX) && !WRITE_SECRET.test(name))
        add(
          i + 1,
          "scoped-aws-keys",
          `secrets.${name} is an AWS key whose name says neither read-only nor what it writes: one such pair shared by every job gives each job the widest rights (fix: ${READ_AWS_PREFIX}* for a read-only key, or a key named for what it writes, e.g. MLOPS_PROMOTE_AWS_* or MLOPS_ARTIFACTS_WRITE_AWS_*, kept in the job's environment)`,
        );
  });
  return problems;
}
