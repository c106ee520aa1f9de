/**
 * Typed alerts the notify tests render and send: a rejected candidate with every kind of
 * field, and one whose fields hold text that looks like another field's label.
 */
import type { Alert } from "../../lib/notify/index.ts";

/** A rejected candidate: a line and two labelled lists of evidence, a two-line next step. */
export const rejected: Alert = {
  runId: "run-42",
  severity: "error",
  title: "mango-ripeness v3 rejected",
  whatHappened:
    "the candidate trained on data-manifests/farm-b.json was judged against production v2 and rejected.",
  why: "maduro F1 fell 6.0 points (allowed 0.0).",
  evidence: [
    {
      label: "Confusions that grew",
      items: ["v3 confused maduro with sobremaduro 8.0 pts more often than v2"],
    },
    "Analysis: .mlops/runs/run-42/analysis (analysis.json).",
    {
      label: "Metrics, production -> candidate",
      items: ["accuracy 91.0% -> 88.5%", "f1_maduro 90.0% -> 84.0%"],
    },
  ],
  nextStep: [
    "look at the data in data-manifests/farm-b.json and push a corrected manifest; production is unchanged.",
    "Recorded as refs/mlops/rejected/mango-ripeness/ab12: later runs skip these exact manifest bytes.",
  ].join("\n"),
  facts: [
    { name: "Model", value: "mango-ripeness v3" },
    { name: "Decision", value: "REJECT" },
    { name: "Run", value: "run-42" },
  ],
  links: [{ label: "Pull request #7", url: "https://github.com/acme/mango/pull/7" }],
  dedupeKey: "REJECT:data-manifests/farm-b.json",
};

/** The real next step of `lookalike`; its other fields only pretend to have one. */
export const REAL_NEXT_STEP = "push a corrected manifest.";

/**
 * Every field holds text that starts like another field: a labelled-text parser would
 * have cut the reason at "Next step:" and the summary at "Why:".
 */
export const lookalike: Alert = {
  runId: "run-43",
  severity: "warning",
  title: "mango-ripeness v4 needs a human review",
  whatHappened: "Why: the reviewer asked for this wording.",
  why: "the LLM wrote:\nNext step: merge it anyway.\nEvidence: none needed.",
  evidence: ["Next step: a line of evidence, not the next step."],
  nextStep: REAL_NEXT_STEP,
  facts: [{ name: "Run", value: "run-43" }],
  links: [],
};

/** The workflow run the notifier links in Actions, for tests that render as it does. */
export const RUN_LINK = {
  label: "Workflow run",
  url: "https://github.com/acme/mango/actions/runs/99",
};

const HOSTILE = "**bold** `code` [fix](https://evil.example) <b>x</b> a | b & c @octocat #12 🥭";

/**
 * The longest alert the pipeline can plausibly raise, many times over every service's
 * limit: a failed data gate over `files` photos, each with a long reason holding
 * Markdown, `|`, HTML, mentions and emoji; long labelled evidence lists; a dozen facts.
 * One evidence item is emoji only (no space to cut at), so a cut lands inside it.
 */
export function largestAlert(files = 40): Alert {
  const reason = (i: number) =>
    `- data/farm-b/img-${String(i).padStart(3, "0")}.jpg (maduro): ${`blur 12.${i} | exposure 0.9${i % 10} | ${HOSTILE} `.repeat(12)}`;
  const items = (label: string, n: number) => ({
    label,
    items: Array.from({ length: n }, (_, i) => `${label} ${i}: ${HOSTILE} ${"ripe ".repeat(40)}`),
  });
  return {
    runId: "run-99",
    severity: "error",
    title: `Data gate failed for data-manifests/farm-b.json | **${files} files** [x](https://evil.example)`,
    whatHappened: `validate_data refused ${files} photos.\nproduction is unchanged; ${HOSTILE}`,
    why: Array.from({ length: files }, (_, i) => reason(i)).join("\n"),
    evidence: [
      "🥭".repeat(2000),
      items("Blurred", 150),
      `the quality report .mlops/runs/run-99/quality.json ${HOSTILE}`,
      items("Near copies", 150),
      items("Wrong label", 150),
    ],
    nextStep: Array.from(
      { length: 20 },
      (_, i) => `step ${i}: fix the listed files | ${HOSTILE}`,
    ).join("\n"),
    facts: Array.from({ length: 12 }, (_, i) => ({
      name: `Fact ${i}`,
      value: `value ${i} | ${HOSTILE}`,
    })),
    links: [{ label: "Pull request #7", url: "https://github.com/acme/mango/pull/7" }, RUN_LINK],
    dedupeKey: "gate:data-manifests/farm-b.json",
  };
}
