/**
 * The job summary of a pipeline run as typed data, from the same state as the run report:
 * a title, then sections of plain text, tables and links. The pipeline action writes it
 * with `core.summary` (actions/lib/summary.ts), which escapes every text; nothing here is
 * Markdown or HTML, and no path in it is the runner's (see shownPath).
 */
import type { MlopsConfig } from "../lib/config.ts";
import { type ReportPlaces, shownPath } from "./render-report.ts";
import { pct, signed } from "./render-tables.ts";
import type { MLOpsStateType } from "./state.ts";

/** A link of the summary. */
export interface SummaryLink {
  text: string;
  url: string;
}

/** One section: a heading, then any of lines, a table, a code block, links, images. */
export interface SummarySection {
  heading: string;
  lines?: string[];
  /** A header row and rows of the same width. */
  table?: { header: string[]; rows: string[][] };
  /** Preformatted text (the failure analysis). */
  code?: string;
  links?: SummaryLink[];
  /** Hosted pictures (the plots at the proposal's commit on GitHub). */
  images?: SummaryLink[];
}

/** The job summary of one run. */
export interface RunSummary {
  title: string;
  sections: SummarySection[];
}

/** Where the run is on GitHub, for the summary's links. */
export interface SummaryPlaces extends ReportPlaces {
  /** The workflow run's page, where its artifacts are listed (`.../actions/runs/<id>#artifacts`). */
  artifactUrl?: string;
  /** The name of the artifact holding the run folder (`mlops-run-<run id>` in the pipeline workflow). */
  artifactName?: string;
}

/** The workflow run's artifacts on GitHub from Actions' variables, or undefined outside Actions. */
export function artifactUrlOf(env: Record<string, string | undefined>): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env;
  return server && repo && run
    ? `${server.replace(/\/$/, "")}/${repo}/actions/runs/${run}#artifacts`
    : undefined;
}

const isUrl = (s: string | undefined): s is string => !!s && /^https?:\/\//.test(s);

function factsTable(state: MLOpsStateType, cfg: MlopsConfig, places: ReportPlaces) {
  const rows: string[][] = [["manifest", state.new_data_path ?? "none (no new data)"]];
  if (state.quality_score !== null)
    rows.push([
      "data quality",
      `${state.quality_score.toFixed(1)} / 10 (gate ${cfg.quality.threshold})`,
    ]);
  if (state.model_version)
    rows.push([
      "candidate",
      `${cfg.model_name} ${state.model_version}: accuracy ${pct(state.candidate_metrics?.accuracy)}, macro-F1 ${pct(state.candidate_metrics?.macro_f1)}`,
    ]);
  if (state.production_version)
    rows.push([
      "production",
      `${state.production_version}: accuracy ${pct(state.production_metrics?.accuracy)}`,
    ]);
  if (state.tflite) {
    const shipped = state.tflite.shipped;
    rows.push([
      "TFLite",
      `${shipped ? `ships ${shipped.variant} (${shownPath(shipped.file, state, places)})` : `no ${state.tflite.ship} file passed its proof`}; ${state.tflite.variants.map((v) => `${v.variant} ${v.candidate ? "proven" : "refused"}`).join(", ")}`,
    ]);
  }
  if (state.deployment_decision)
    rows.push(["decision", `${state.deployment_decision}: ${state.decision_reason ?? ""}`]);
  const p = state.promotion;
  if (p)
    rows.push([
      "promotion",
      `branch ${p.branch} at ${p.commit.slice(0, 10)}${p.draft ? " (draft, needs review)" : ""}${p.pr_number ? `, pull request #${p.pr_number}` : ""}`,
    ]);
  if (state.pending_manifests.length)
    rows.push(["waiting for later runs", state.pending_manifests.join(", ")]);
  return { header: ["item", "this run"], rows };
}

function comparison(state: MLOpsStateType): SummarySection | undefined {
  if (!state.metric_deltas.length) return undefined;
  return {
    heading: "Candidate vs production",
    table: {
      header: [
        "metric",
        `production ${state.production_version ?? ""}`,
        `candidate ${state.model_version ?? ""}`,
        "change (pts)",
      ],
      rows: state.metric_deltas.map((d) => [
        d.metric,
        pct(d.production),
        pct(d.candidate),
        signed(d.delta),
      ]),
    },
  };
}

function perClass(state: MLOpsStateType): SummarySection | undefined {
  const m = state.candidate_metrics;
  if (!m) return undefined;
  return {
    heading: `Candidate ${state.model_version ?? ""} per class`,
    table: {
      header: ["class", "precision", "recall", "F1", "support"],
      rows: Object.entries(m.per_class).map(([label, c]) => [
        label,
        pct(c.precision),
        pct(c.recall),
        pct(c.f1),
        String(c.support),
      ]),
    },
  };
}

function policy(state: MLOpsStateType): SummarySection | undefined {
  if (!state.policy_verdicts.length) return undefined;
  const result = (v: MLOpsStateType["policy_verdicts"][number]) =>
    v.skipped ? "skipped" : v.passed ? "passed" : v.severity === "review" ? "review" : "failed";
  return {
    heading: `Policy checks (analyst: ${state.analyst ?? "none"})`,
    table: {
      header: ["check", "result", "detail"],
      rows: state.policy_verdicts.map((v) => [v.check, result(v), v.detail]),
    },
  };
}

const PLOT_NAMES = {
  curves: "training curves",
  confusion: "confusion matrix",
  contactSheet: "contact sheet",
} as const;

/** The pull request, the run's artifact and the committed plots (URLs only), then the plots shown. */
function links(state: MLOpsStateType, places: SummaryPlaces): SummarySection[] {
  const out: SummaryLink[] = [];
  const p = state.promotion;
  if (p && isUrl(p.pr_url ?? undefined))
    out.push({
      text: `pull request ${p.pr_number ? `#${p.pr_number} ` : ""}(${p.branch})`,
      url: p.pr_url!,
    });
  if (places.artifactUrl)
    out.push({
      text: `run folder: artifact ${places.artifactName ?? "of this workflow run"} (report.md, quality.md, the SVG charts)`,
      url: places.artifactUrl,
    });
  const plots: SummaryLink[] = [];
  for (const key of Object.keys(PLOT_NAMES) as (keyof typeof PLOT_NAMES)[]) {
    const url = p?.plots?.[key];
    if (p && isUrl(url))
      plots.push({ text: `${PLOT_NAMES[key]} (PNG at ${p.commit.slice(0, 10)})`, url });
  }
  const sections: SummarySection[] = [];
  if (out.length || plots.length) sections.push({ heading: "Links", links: [...out, ...plots] });
  if (plots.length) sections.push({ heading: "Plots", images: plots });
  return sections;
}

/** The job summary of a run: its outcome, the facts, the tables, the alerts and the links. */
export function renderRunSummary(
  state: MLOpsStateType,
  cfg: MlopsConfig,
  outcome: string,
  places: SummaryPlaces,
): RunSummary {
  const sections: (SummarySection | undefined)[] = [
    { heading: "What happened", table: factsTable(state, cfg, places) },
    state.failure_analysis_report
      ? { heading: "What went wrong", code: state.failure_analysis_report }
      : undefined,
    comparison(state),
    perClass(state),
    policy(state),
    state.alerts.length
      ? {
          heading: "Alerts",
          lines: state.alerts.map(
            (a) => `${a.channel}: ${a.reason} (${shownPath(a.location, state, places)})`,
          ),
        }
      : undefined,
    ...links(state, places),
  ];
  return {
    title: `Run ${state.run_id}: ${outcome}`,
    sections: sections.filter((s): s is SummarySection => s !== undefined),
  };
}
