/**
 * What an alert says, in a shape every channel can render: a title, one paragraph of what
 * happened, titled sections (why, evidence, next step), name/value facts and links. The
 * graph's `AlertMessage` (plain text lines) is adapted by `fromAlertMessage`, so
 * alert_human keeps working until it composes this shape itself.
 */

/** How bad it is; channels show it as colour, an emoji or a subject prefix. */
export type AlertSeverity = "error" | "warning" | "info";

/** An alert as the channels render it. */
export interface AlertContent {
  runId: string;
  title: string;
  severity: AlertSeverity;
  /** What happened, in a sentence or two. */
  summary: string;
  /** e.g. Why / Evidence / Next step, in that order. */
  sections: Array<{ heading: string; text: string }>;
  /** Short name/value pairs: run, model version, decision, score. */
  facts: Array<{ name: string; value: string }>;
  /** Where to look: the pull request, the workflow run, the report. */
  links: Array<{ label: string; url: string }>;
  /**
   * Identifies "the same problem" across runs, so the GitHub issue is commented on
   * instead of opened again; defaults to the title.
   */
  dedupeKey?: string;
}

/** The graph's alert (structurally `AlertMessage` of graph/services.ts), optionally with its rich content. */
export interface AlertInput {
  runId: string;
  title: string;
  severity: AlertSeverity;
  body: string;
  content?: AlertContent;
}

/** Where one channel delivered an alert (structurally the graph's `AlertRef`). */
export interface DeliveryRef {
  channel: string;
  reason: string;
  location: string;
}

/** Sends alerts (structurally the graph's `Notifier`). */
export interface AlertNotifier {
  notify(alert: AlertInput, runDir: string): Promise<DeliveryRef[]>;
}

// The labels composeAlert starts its lines with, and the section each opens ("What
// happened" is the summary). Only these: a colon inside the data gate's per-file list must
// not cut it into sections.
const LABELS = [
  "What happened",
  "Confusions that grew",
  "Why",
  "Guardrails",
  "Analyst",
  "Analysis",
  "Evidence",
  "Next step",
];
const LABEL_RE = new RegExp(`^(${LABELS.join("|")}):(?:\\s+|$)`);

const URL_RE = /https?:\/\/[^\s<>()"']+[^\s<>()"'.,;:!?]/g;

/**
 * Adapts a plain-text alert: "What happened:" becomes the summary, "Why:", "Evidence:",
 * "Next step:" (and the other labels composeAlert uses) become sections, and an unlabelled
 * line belongs to the block above it (the data gate's per-file list, the "Recorded as"
 * line). URLs in the text become links.
 */
export function fromAlertMessage(
  alert: AlertInput,
  extraLinks: AlertContent["links"] = [],
): AlertContent {
  if (alert.content)
    return { ...alert.content, links: mergeLinks(alert.content.links, extraLinks) };
  const summary: string[] = [];
  const sections: Array<{ heading: string; lines: string[] }> = [];
  let current = summary;
  for (const line of alert.body.split("\n")) {
    const label = LABEL_RE.exec(line);
    if (label) {
      const heading = label[1]!;
      if (heading === "What happened") current = summary;
      else {
        const section = { heading, lines: [] as string[] };
        sections.push(section);
        current = section.lines;
      }
      const rest = line.slice(label[0].length);
      if (rest) current.push(rest);
    } else if (line.trim()) {
      current.push(line);
    }
  }
  const found = [...new Set(alert.body.match(URL_RE) ?? [])].map((url) => ({
    label: labelOf(url),
    url,
  }));
  return {
    runId: alert.runId,
    title: alert.title,
    severity: alert.severity,
    summary: summary.join("\n"),
    sections: sections.map((s) => ({ heading: s.heading, text: s.lines.join("\n") })),
    facts: [
      { name: "Run", value: alert.runId },
      { name: "Severity", value: alert.severity },
    ],
    links: mergeLinks(found, extraLinks),
  };
}

/**
 * The link to the GitHub Actions run this process is, from the variables Actions sets;
 * none outside Actions.
 */
export function workflowRunLink(env: NodeJS.ProcessEnv): { label: string; url: string } | null {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env;
  if (!server || !repo || !run) return null;
  return { label: "Workflow run", url: `${server}/${repo}/actions/runs/${run}` };
}

function labelOf(url: string): string {
  if (/\/pull\/\d+/.test(url)) return "Pull request";
  if (/\/issues\/\d+/.test(url)) return "Issue";
  if (/\/actions\/runs\/\d+/.test(url)) return "Workflow run";
  return "Link";
}

function mergeLinks(a: AlertContent["links"], b: AlertContent["links"]): AlertContent["links"] {
  const seen = new Set<string>();
  return [...a, ...b].filter((l) => (seen.has(l.url) ? false : (seen.add(l.url), true)));
}

/** The dedupe key as it may appear inside an HTML comment: no `--`, no `>`, bounded. */
export function dedupeKeyOf(content: AlertContent): string {
  const raw = content.dedupeKey ?? content.title;
  return (
    raw
      .toLowerCase()
      .replace(/[^a-z0-9._:/]+/g, "-")
      .replace(/-+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 120) || "alert"
  );
}
