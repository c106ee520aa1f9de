/**
 * The alert a person receives, as data: what happened, why, the evidence, the next step,
 * short facts and links. alert_human and the promote use case build it from what they
 * know; every channel (Slack, Teams, e-mail, the GitHub issue, the local file) renders it
 * from these fields, so a sentence in one field never ends up in another.
 */

/** How bad it is; channels show it as colour, an emoji or a subject prefix. */
export type AlertSeverity = "error" | "warning" | "info";

/** One piece of evidence: a line, or a labelled list (the confusions that grew). */
export type AlertEvidence = string | { label: string; items: string[] };

/** A short name/value pair: run, model version, decision, score. */
export interface AlertFact {
  name: string;
  value: string;
}

/** Where to look: the pull request, the workflow run. Channels link only http(s) URLs. */
export interface AlertLink {
  label: string;
  url: string;
}

/** An alert for a person. */
export interface Alert {
  runId: string;
  severity: AlertSeverity;
  title: string;
  /** What happened, in a sentence or two. */
  whatHappened: string;
  /** Why it happened: the decision's reason, the gate's findings; may span lines. */
  why: string;
  /** What backs it up, in the order a reader should see it. */
  evidence: AlertEvidence[];
  /** What a person should do now; may span lines. */
  nextStep: string;
  facts: AlertFact[];
  links: AlertLink[];
  /**
   * Identifies "the same problem" across runs, so the GitHub issue is commented on
   * instead of opened again; defaults to the title.
   */
  dedupeKey?: string;
}

/** The headings channels put above the fields. */
export const HEADINGS = { why: "Why", evidence: "Evidence", nextStep: "Next step" } as const;

/** Where one channel delivered an alert (structurally the graph's `AlertRef`). */
export interface DeliveryRef {
  channel: string;
  reason: string;
  location: string;
}

/** Sends alerts (structurally the graph's `Notifier`). */
export interface AlertNotifier {
  notify(alert: Alert, runDir: string): Promise<DeliveryRef[]>;
}

/** The alert with `extra` links after its own, each URL once. */
export function withLinks(alert: Alert, extra: AlertLink[]): Alert {
  const seen = new Set<string>();
  const links = [...alert.links, ...extra].filter((l) =>
    seen.has(l.url) ? false : (seen.add(l.url), true),
  );
  return { ...alert, links };
}

/** The links a channel may turn into anchors or buttons: http(s) only. */
export function webLinks(alert: Alert): AlertLink[] {
  return alert.links.filter((l) => /^https?:\/\//.test(l.url));
}

/**
 * The link to the GitHub Actions run this process is, from the variables Actions sets;
 * none outside Actions.
 */
export function workflowRunLink(env: NodeJS.ProcessEnv): AlertLink | null {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env;
  if (!server || !repo || !run) return null;
  return { label: "Workflow run", url: `${server}/${repo}/actions/runs/${run}` };
}

/** The dedupe key as it may appear inside an HTML comment: no `--`, no `>`, bounded. */
export function dedupeKeyOf(alert: Alert): string {
  const raw = alert.dedupeKey ?? alert.title;
  return (
    raw
      .toLowerCase()
      .replace(/[^a-z0-9._:/]+/g, "-")
      .replace(/-+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 120) || "alert"
  );
}
