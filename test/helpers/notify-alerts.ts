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
