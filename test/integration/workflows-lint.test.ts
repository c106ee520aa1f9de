/** Every workflow and action file passes actionlint, action-validator and the project's rules. */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { lintWorkflowFiles, projectRules } from "../../scripts/lint-workflows.ts";
import { securityRules } from "../../scripts/workflow-security.ts";

const repo = resolve(import.meta.dirname, "../..");
const yaml = (...lines: string[]) => lines.join("\n");
const CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683";
const HEAD = [
  "permissions: {}",
  "concurrency:",
  "  group: x",
  "jobs:",
  "  build:",
  "    runs-on: ubuntu-latest",
  "    permissions: {}",
];
const checkout = [
  "      - uses: " + CHECKOUT,
  "        with:",
  "          persist-credentials: false",
];
/** Security problems of a workflow, as rule@line, and the full problems. */
function check(file: string, text: string, kind: "workflow" | "action" = "workflow") {
  const problems = securityRules(file, text, kind);
  return { rules: problems.map((p) => `${p.rule}@${p.line ?? "-"}`), problems };
}

describe("workflow and action files", () => {
  it("all pass the linters", async () => {
    const { files, problems } = await lintWorkflowFiles(repo);
    expect(files).toEqual(
      expect.arrayContaining([
        ".github/workflows/pipeline.yml",
        ".github/workflows/promote.yml",
        ".github/workflows/manifest-review.yml",
        ".github/workflows/bucket-watch.yml",
        ".github/workflows/ci.yml",
        "actions/pipeline/action.yml",
      ]),
    );
    expect(problems).toEqual([]);
  }, 60_000);

  it("the project's rules catch what they are for", () => {
    const bad = [
      "name: x",
      "on: push",
      "jobs:",
      "  build:",
      "    runs-on: ubuntu-latest",
      "    steps:",
      "      - uses: actions/checkout@v4",
      '      - run: echo "${{ github.event.pull_request.title }}"',
      "      - run: |",
      "          echo hi",
      "          echo ${{ github.event.head_commit.message }}",
    ].join("\n");
    const rules = projectRules("bad.yml", bad, "workflow").map(
      (p) => `${p.rule}${p.line ? `@${p.line}` : ""}`,
    );
    expect(rules).toEqual([
      "pin-actions@7",
      "no-event-in-run@8",
      "no-event-in-run@11",
      "permissions",
      "concurrency",
      "permissions",
      "checkout-credentials@7",
    ]);
  });
});

describe("the security rules", () => {
  it("every checkout, in a workflow or a composite action, keeps no token", () => {
    const wf = check(
      "ci.yml",
      yaml("on: push", ...HEAD, "    steps:", "      - uses: " + CHECKOUT, "      - run: make"),
    );
    expect(wf.rules).toEqual(["checkout-credentials@10"]);
    expect(wf.problems[0]).toMatchObject({ file: "ci.yml" });
    expect(wf.problems[0]!.message).toMatch(/^job "build" step 1 \("actions\/checkout"\): /);
    expect(wf.problems[0]!.message).toMatch(/fix: add "with: persist-credentials: false"/);
    const action = check(
      "actions/x/action.yml",
      yaml(
        "name: x",
        "runs:",
        "  using: composite",
        "  steps:",
        "    - name: Get the code",
        "      uses: " + CHECKOUT,
        "      with:",
        "        persist-credentials: true",
      ),
      "action",
    );
    expect(action.rules).toEqual(["checkout-credentials@5"]);
    expect(action.problems[0]!.message).toMatch(/^step 1 \("Get the code"\)/);
    const flow = ["      - uses: " + CHECKOUT, "        with: { persist-credentials: false }"];
    expect(check("ci.yml", yaml("on: push", ...HEAD, "    steps:", ...flow)).rules).toEqual([]);
    expect(check("ci.yml", yaml("on: push", ...HEAD, "    steps:", ...checkout)).rules).toEqual([]);
  });

  it("the promote workflow runs in production, from the default branch only", () => {
    const guard = "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)";
    const promote = (...job: string[]) =>
      check(
        ".github/workflows/promote.yml",
        yaml("on: [push, workflow_dispatch]", ...HEAD, ...job, "    steps:", ...checkout),
      );
    const bare = promote();
    expect(bare.rules).toEqual(["production-environment@6", "default-branch-guard@6"]);
    expect(bare.problems[0]!.message).toMatch(/job "build" does not run in the production/);
    expect(bare.problems[0]!.message).toMatch(/fix: "environment: production"/);
    expect(bare.problems[1]!.message).toContain(`fix: "if: ${guard}"`);
    expect(promote("    environment: staging", `    if: ${guard} || true`).rules).toEqual([
      "production-environment@6",
      "default-branch-guard@6",
    ]);
    expect(promote("    environment: production", `    if: \${{ ${guard} }}`).rules).toEqual([]);
    expect(
      promote("    environment:", "      name: production", `    if: ${guard} && true`).rules,
    ).toEqual([]);
    expect(promote("    environment: { name: production }", `    if: ${guard}`).rules).toEqual([]);
  });

  it("a pull request's own code never gets a secret", () => {
    const secretRun = [
      "      - name: Test",
      "        run: npm test",
      "        env:",
      "          KEY: ${{ secrets.MLOPS_VLM_API_KEY }}",
    ];
    const onPr = check(
      "review.yml",
      yaml("on:", "  pull_request:", ...HEAD, "    steps:", ...checkout, ...secretRun),
    );
    expect(onPr.rules).toEqual(["pr-secrets@14"]);
    expect(onPr.problems[0]!.message).toMatch(
      /^job "build" step 2 \("Test"\) hands secrets\.MLOPS_VLM_API_KEY to code from the pull request/,
    );
    expect(onPr.problems[0]!.message).toMatch(/fix: drop the secrets/);
    const jobEnv = check(
      "review.yml",
      yaml(
        "on: [pull_request]",
        ...HEAD,
        "    env:",
        "      KEY: ${{ secrets['MLOPS_VLM_API_KEY'] }}",
        "    steps:",
        ...checkout,
        "      - uses: ./actions/manifest-review",
      ),
    );
    expect(jobEnv.rules).toEqual(["pr-secrets@15"]);
    // A job that checks nothing out runs no code from the pull request.
    const noCheckout = yaml("on: pull_request", ...HEAD, "    steps:", ...secretRun);
    expect(check("review.yml", noCheckout).rules).toEqual([]);
  });

  it("a pull_request_target workflow reads the pull request only as data", () => {
    const target = (...steps: string[]) =>
      check(
        "review.yml",
        yaml("on: pull_request_target", ...HEAD, "    steps:", ...steps, "      - run: npm ci"),
      );
    const head = target(
      "      - uses: " + CHECKOUT,
      "        with:",
      "          ref: ${{ github.event.pull_request.head.sha }}",
      "          persist-credentials: false",
      "      - uses: ./actions/manifest-review",
      "        env:",
      "          KEY: ${{ secrets.MLOPS_READ_AWS_ACCESS_KEY_ID }}",
    );
    expect(head.rules).toEqual(["pr-target-checkout@10", "pr-secrets@14"]);
    expect(head.problems[0]!.message).toMatch(/fix: check out the base branch, no ref:/);
    const fetched = target(
      ...checkout,
      "      - run: git fetch origin x && git checkout FETCH_HEAD",
    );
    expect(fetched.rules).toEqual(["pr-target-checkout@13"]);
    const data = target(
      ...checkout,
      "      - run: |",
      '          git merge-base "$A" "$B"',
      '          git checkout "$HEAD_SHA" -- "${files[@]}"',
      "      - uses: ./actions/manifest-review",
      "        env:",
      "          KEY: ${{ secrets.MLOPS_READ_AWS_ACCESS_KEY_ID }}",
    );
    expect(data.rules).toEqual([]);
    const all = target(...checkout, '      - run: git checkout "$HEAD_SHA" -- .');
    expect(all.rules).toEqual(["pr-target-checkout@13"]);
  });

  it("write keys live in environments, and AWS keys say what they may do", () => {
    const job = (...lines: string[]) =>
      check(
        "pipeline.yml",
        yaml(
          "on: push",
          ...HEAD,
          ...lines,
          "    steps:",
          ...checkout,
          "      - run: make",
          "        env:",
          "          A: ${{ secrets.MLOPS_ARTIFACTS_WRITE_AWS_ACCESS_KEY_ID }}",
        ),
      );
    const bare = job();
    expect(bare.rules).toEqual(["write-secrets-environment@6"]);
    expect(bare.problems[0]!.message).toMatch(
      /^job "build" uses write-scoped secrets\.MLOPS_ARTIFACTS_WRITE_AWS_ACCESS_KEY_ID without an environment/,
    );
    expect(bare.problems[0]!.message).toMatch(/fix: "environment: <name>"/);
    expect(job("    environment: training").rules).toEqual([]);
    const shared = check(
      "pipeline.yml",
      yaml(
        "on: push",
        "env:",
        "  P: ${{ secrets.MLOPS_PROMOTE_AWS_ACCESS_KEY_ID }}",
        ...HEAD,
        "    environment: production",
        "    steps:",
        ...checkout,
        "      - run: make",
        "        env:",
        "          AWS_ACCESS_KEY_ID: ${{ secrets.AWS_ACCESS_KEY_ID }}",
        "          R: ${{ secrets.MLOPS_READ_AWS_SECRET_ACCESS_KEY }}",
      ),
    );
    expect(shared.rules).toEqual(["write-secrets-environment@2", "scoped-aws-keys@18"]);
    expect(shared.problems[1]!.message).toMatch(/fix: MLOPS_READ_AWS_\* for a read-only key/);
  });

  it("a regression in the project's own workflows fails", async () => {
    const read = (f: string) => readFile(resolve(repo, ".github/workflows", f), "utf8");
    const promote = await read("promote.yml");
    const unguarded = promote
      .replace(/^ {4}if: .*\n/m, "")
      .replace(/^ {4}environment: production\n/m, "");
    expect(check(".github/workflows/promote.yml", unguarded).rules).toEqual([
      expect.stringMatching(/^production-environment@/),
      expect.stringMatching(/^default-branch-guard@/),
      expect.stringMatching(/^write-secrets-environment@/),
    ]);
    const pipeline = (await read("pipeline.yml")).replace(
      /^ {10}persist-credentials: false\n/gm,
      "",
    );
    expect(check(".github/workflows/pipeline.yml", pipeline).rules).toEqual([
      expect.stringMatching(/^checkout-credentials@/),
      expect.stringMatching(/^checkout-credentials@/),
    ]);
    const review = (await read("manifest-review.yml")).replace(
      "pull_request_target:",
      "pull_request:",
    );
    expect(check(".github/workflows/manifest-review.yml", review).rules).toContainEqual(
      expect.stringMatching(/^pr-secrets@/),
    );
  });
});
