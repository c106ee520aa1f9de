/**
 * The workflow linter (scripts/lint-workflows.ts) against hostile edits of the project's
 * own workflows: each case copies `.github/` and the action files to a temp folder, makes
 * one edit that would let unreviewed code or a leaked key reach production, and expects
 * exactly the problems that edit causes (the untouched files lint clean), each with its
 * file, line, rule and fix.
 */
import { readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lintWorkflowFiles, type LintProblem } from "../../scripts/lint-workflows.ts";

const PROJECT = resolve(import.meta.dirname, "../..");
/** The 1-based line of the first line of `file` that starts with `start`. */
const lineOf = (file: string, start: string) =>
  readFileSync(join(PROJECT, file), "utf8")
    .split("\n")
    .findIndex((l) => l.startsWith(start)) + 1;
const ACTIONS = ["bucket-watch", "manifest-review", "pipeline", "promote"];
const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

const GUARD = "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)";
const PR_SECRETS_FIX =
  "(a fork gets no secrets, a branch of this repository gets them all) (fix: drop the secrets from this job, or review in a pull_request_target workflow that runs the base branch's code and reads the pull request only as data)";
const CHECKOUT_FIX = `actions/checkout keeps the job's token in .git/config for every later step (fix: add "with: persist-credentials: false", and hand a token only to the step that pushes)`;
const ENV_FIX = `without an environment, so a workflow on any branch could use them (fix: "environment: <name>" with a deployment branch rule for the default branch, and store them as that environment's secrets)`;
const BRANCH_GUARD = `job "promote" is not kept to the default branch: a dispatch from any branch or tag would serve unreviewed code (fix: "if: ${GUARD}", and nothing or-ed to it)`;

interface WorkflowCase {
  name: string;
  file: string;
  from: string;
  to: string;
  problems: Array<Omit<LintProblem, "file" | "message"> & { message: string | RegExp }>;
}

const promote = ".github/workflows/promote.yml";
const ci = ".github/workflows/ci.yml";
const CASES: WorkflowCase[] = [
  {
    name: "a promote workflow without the production environment",
    file: promote,
    from: "    environment: production\n",
    to: "",
    problems: [
      {
        line: 25,
        rule: "production-environment",
        message: `job "promote" does not run in the production environment (fix: "environment: production", with required reviewers and a deployment branch rule for the default branch, and its write keys as that environment's secrets)`,
      },
      {
        line: 25,
        rule: "write-secrets-environment",
        message: `job "promote" uses write-scoped secrets.MLOPS_PROMOTE_AWS_ACCESS_KEY_ID, secrets.MLOPS_PROMOTE_AWS_SECRET_ACCESS_KEY ${ENV_FIX}`,
      },
    ],
  },
  {
    name: "a promote workflow without the default-branch guard",
    file: promote,
    from: `    if: ${GUARD}\n`,
    to: "",
    problems: [{ line: 25, rule: "default-branch-guard", message: BRANCH_GUARD }],
  },
  {
    name: "a promote workflow whose guard is or-ed with a dispatch",
    file: promote,
    from: `    if: ${GUARD}\n`,
    to: `    if: ${GUARD} || github.event_name == 'workflow_dispatch'\n`,
    problems: [{ line: 25, rule: "default-branch-guard", message: BRANCH_GUARD }],
  },
  {
    name: "a checkout with persist-credentials: true",
    file: ci,
    from: "persist-credentials: false",
    to: "persist-credentials: true",
    problems: [
      {
        line: 23,
        rule: "checkout-credentials",
        message: `job "test" step 1 ("actions/checkout"): ${CHECKOUT_FIX}`,
      },
    ],
  },
  {
    name: "a checkout without persist-credentials: false",
    file: ci,
    from: "        with:\n          persist-credentials: false\n",
    to: "",
    problems: [
      {
        line: 23,
        rule: "checkout-credentials",
        message: `job "test" step 1 ("actions/checkout"): ${CHECKOUT_FIX}`,
      },
    ],
  },
  {
    name: "a pull_request workflow passing a secret to the repository's code",
    file: ci,
    from: "        run: npm test",
    to: "        run: npm test\n        env:\n          MLOPS_VLM_API_KEY: ${{ secrets.MLOPS_VLM_API_KEY }}",
    problems: [
      {
        line: 40,
        rule: "pr-secrets",
        message: `job "test" step 8 ("Test") hands secrets.MLOPS_VLM_API_KEY to code from the pull request ${PR_SECRETS_FIX}`,
      },
    ],
  },
  {
    name: "a pull_request_target review that checks out the pull request's head",
    file: ".github/workflows/manifest-review.yml",
    from: "      pull-requests: write # the sticky comment\n    steps:\n      - name: Check out the base branch (the code that runs)\n        uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n        with:\n",
    to: "      pull-requests: write # the sticky comment\n    steps:\n      - name: Check out the base branch (the code that runs)\n        uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n",
    problems: [
      {
        line: 213,
        rule: "pr-target-checkout",
        message: `job "review" step 1 ("Check out the base branch (the code that runs)") checks out the pull request's code in a pull_request_target workflow, which runs with the repository's secrets and a write token (fix: check out the base branch, no ref:, and take only the pull request's files as data, e.g. git checkout <head sha> -- <paths>)`,
      },
      {
        line: 271,
        rule: "pr-secrets",
        message: `job "review" step 6 ("./actions/manifest-review") hands secrets.MLOPS_READ_AWS_ACCESS_KEY_ID, secrets.MLOPS_READ_AWS_SECRET_ACCESS_KEY, secrets.MLOPS_VLM_API_KEY to code from the pull request ${PR_SECRETS_FIX}`,
      },
    ],
  },
  {
    name: "an action pinned to a tag, not a commit",
    file: ci,
    from: "actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020",
    to: "actions/setup-node@v4",
    problems: [
      {
        line: 26,
        rule: "pin-actions",
        message:
          "actions/setup-node@v4 is not pinned to a full commit sha (fix: uses: owner/repo@<40-hex sha> # vX.Y.Z)",
      },
    ],
  },
  {
    name: "a pull request's title interpolated into a run script",
    file: ci,
    from: "        run: npm run lint",
    to: '        run: echo "${{ github.event.pull_request.title }}" && npm run lint',
    problems: [
      {
        line: 35,
        rule: "actionlint:expression",
        message: /^"github\.event\.pull_request\.title" is potentially untrusted/,
      },
      {
        line: 35,
        rule: "no-event-in-run",
        message:
          'github.event text interpolated into a run script (fix: pass it through env: and quote "$VAR")',
      },
    ],
  },
  {
    name: "a training job holding the artifacts write key without its environment",
    file: ".github/workflows/pipeline.yml",
    from: "    environment: training\n",
    to: "",
    problems: [
      {
        line: lineOf(".github/workflows/pipeline.yml", "  train:"),
        rule: "write-secrets-environment",
        message: `job "train" uses write-scoped secrets.MLOPS_ARTIFACTS_WRITE_AWS_ACCESS_KEY_ID, secrets.MLOPS_ARTIFACTS_WRITE_AWS_SECRET_ACCESS_KEY ${ENV_FIX}`,
      },
    ],
  },
  {
    name: "an AWS key whose name says nothing of its rights",
    file: ".github/workflows/bucket-watch.yml",
    from: "secrets.MLOPS_READ_AWS_ACCESS_KEY_ID",
    to: "secrets.AWS_ACCESS_KEY_ID",
    problems: [
      {
        line: lineOf(
          ".github/workflows/bucket-watch.yml",
          "          AWS_ACCESS_KEY_ID: ${{ secrets.MLOPS_READ_AWS",
        ),
        rule: "scoped-aws-keys",
        message:
          "secrets.AWS_ACCESS_KEY_ID is an AWS key whose name says neither read-only nor what it writes: one such pair shared by every job gives each job the widest rights (fix: MLOPS_READ_AWS_* for a read-only key, or a key named for what it writes, e.g. MLOPS_PROMOTE_AWS_* or MLOPS_ARTIFACTS_WRITE_AWS_*, kept in the job's environment)",
      },
    ],
  },
];

/** A copy of the project's workflows and action files with `file`'s `from` replaced by `to`. */
async function editedCopy(c: WorkflowCase): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mlops-faults-workflows-"));
  temps.push(dir);
  await cp(join(PROJECT, ".github"), join(dir, ".github"), { recursive: true });
  for (const a of ACTIONS) {
    await mkdir(join(dir, "actions", a), { recursive: true });
    await cp(join(PROJECT, "actions", a, "action.yml"), join(dir, "actions", a, "action.yml"));
  }
  const text = await readFile(join(dir, c.file), "utf8");
  if (!text.includes(c.from))
    throw new Error(`${c.file} no longer holds ${JSON.stringify(c.from)}`);
  await writeFile(join(dir, c.file), text.replace(c.from, c.to));
  return dir;
}

describe("the workflow linter on hostile edits", () => {
  it("lints the unedited copy clean", async () => {
    const { files, problems } = await lintWorkflowFiles(
      await editedCopy({ ...CASES[0]!, to: CASES[0]!.from }),
    );
    expect(files).toEqual(expect.arrayContaining([promote, ci, "actions/promote/action.yml"]));
    expect(problems).toEqual([]);
  }, 60_000);

  it.each(CASES.map((c) => [c.name, c] as const))(
    "%s: exactly the problems it causes",
    async (_name, c) => {
      const { problems } = await lintWorkflowFiles(await editedCopy(c));
      expect(problems).toEqual(
        c.problems.map((p) => ({
          file: c.file,
          ...p,
          message: typeof p.message === "string" ? p.message : expect.stringMatching(p.message),
        })),
      );
    },
    30_000,
  );
});
