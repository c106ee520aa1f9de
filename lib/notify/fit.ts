/**
 * Keeping an alert within a service's size limits. Each channel renders the whole alert
 * when it fits; when it does not, the alert's own text is shortened (whole lines and
 * evidence items from the end, a long line cut at a word) before rendering, so the
 * renderer's escaping still applies to what is left and no escape sequence, surrogate
 * pair or Markdown construct is ever cut in half. A line then says how much was left out
 * and where the full report is.
 */
import type { Alert, AlertEvidence } from "./alert.ts";

/** Where the full alert is: `alert.md` in the run folder, and the workflow run when there is one. */
export interface FullReport {
  /** Said in words: a path, or "alert.md in the run folder of run-42". */
  place: string;
  /** The workflow run that keeps the run folder; http(s) only. */
  url?: string;
}

/** The line a shortened alert carries. */
export interface LeftOutNote {
  text: string;
  url?: string;
}

/** An alert as a channel renders it: shortened or not, and the line saying so. */
export interface FittedAlert {
  alert: Alert;
  leftOut: LeftOutNote | null;
}

/** Options every renderer takes. */
export interface RenderOptions {
  /** Where the full alert is; default: alert.md in the run folder of the alert's run. */
  report?: FullReport;
}

/** The report a renderer points at when the notifier did not say. */
export function reportOf(alert: Alert, opts: RenderOptions = {}): FullReport {
  return opts.report ?? { place: `alert.md in the run folder of ${alert.runId}` };
}

const ELLIPSIS = "…";
/** A line shorter than this is not worth a partial cut: it is left out whole. */
const MIN_PARTIAL = 80;

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/**
 * `text` in at most `max` UTF-16 units, an ellipsis included when cut: at the last space
 * in the final fifth when there is one, never between the halves of a surrogate pair.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < 1) return "";
  let end = max - ELLIPSIS.length;
  const space = text.lastIndexOf(" ", end);
  if (space > end * 0.8) end = space;
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return `${text.slice(0, end).trimEnd()}${ELLIPSIS}`;
}

/** What shortening dropped: units (lines, items) not shown whole, and their UTF-8 bytes. */
interface Dropped {
  units: number;
  bytes: number;
}

const bytesOf = (s: string) => Buffer.byteLength(s, "utf8");

/** Takes units in order while `cap` characters last; the first that does not fit may be cut. */
function taker(cap: number, dropped: Dropped) {
  let used = 0;
  let full = false;
  return (unit: string): string | null => {
    if (full) {
      if (unit.trim()) dropped.units += 1;
      dropped.bytes += bytesOf(unit);
      return null;
    }
    if (used + unit.length <= cap) {
      used += unit.length + 1;
      return unit;
    }
    full = true;
    if (unit.trim()) dropped.units += 1;
    const room = cap - used;
    const part = room >= MIN_PARTIAL ? cutText(unit, room) : null;
    dropped.bytes += bytesOf(unit) - (part ? bytesOf(part) - bytesOf(ELLIPSIS) : 0);
    return part;
  };
}

function cutLines(text: string, cap: number, dropped: Dropped): string {
  const take = taker(cap, dropped);
  return text
    .split("\n")
    .map(take)
    .filter((l): l is string => l !== null)
    .join("\n");
}

// A labelled list keeps its label only while one of its items is shown.
function cutEvidence(evidence: AlertEvidence[], cap: number, dropped: Dropped): AlertEvidence[] {
  const take = taker(cap, dropped);
  return evidence.flatMap((e): AlertEvidence[] => {
    if (typeof e === "string") {
      const kept = take(e);
      return kept === null ? [] : [kept];
    }
    const label = take(e.label);
    const items = e.items.map(take).filter((i): i is string => i !== null);
    if (label !== null && items.length === 0) dropped.units += 1;
    return label !== null && items.length > 0 ? [{ label, items }] : [];
  });
}

function shorten(alert: Alert, cap: number): { alert: Alert; dropped: Dropped } {
  const dropped: Dropped = { units: 0, bytes: 0 };
  const short: Alert = {
    ...alert,
    whatHappened: cutLines(alert.whatHappened, cap, dropped),
    why: cutLines(alert.why, cap, dropped),
    evidence: cutEvidence(alert.evidence, cap, dropped),
    nextStep: cutLines(alert.nextStep, cap, dropped),
    facts: alert.facts.map((f) => {
      const value = cutText(f.value, Math.max(cap, MIN_PARTIAL));
      if (value !== f.value) {
        dropped.units += 1;
        dropped.bytes += bytesOf(f.value) - bytesOf(value) + bytesOf(ELLIPSIS);
      }
      return { ...f, value };
    }),
  };
  return { alert: short, dropped };
}

const sizeText = (bytes: number) =>
  bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`;

/** The line a shortened alert carries: how much was left out, for which service, where the rest is. */
export function leftOutNote(dropped: Dropped, service: string, report: FullReport): LeftOutNote {
  const lines = dropped.units === 1 ? "1 line was" : `${dropped.units} lines were`;
  const text = `${lines} left out or shortened (${sizeText(dropped.bytes)} of text) to fit the size limits of ${service}; the full report is ${report.place}`;
  return report.url && /^https?:\/\//.test(report.url) ? { text, url: report.url } : { text };
}

/**
 * The alert as is when `fits` accepts it; otherwise the longest version it accepts, found
 * by a binary search on how many characters each field may keep, with the left-out line.
 * When even the shortest does not fit (a title or links beyond the limit), that one.
 */
export function fitAlert(
  alert: Alert,
  fits: (fitted: FittedAlert) => boolean,
  service: string,
  report: FullReport,
): FittedAlert {
  const whole: FittedAlert = { alert, leftOut: null };
  if (fits(whole)) return whole;
  const at = (cap: number): FittedAlert => {
    const { alert: short, dropped } = shorten(alert, cap);
    const leftOut = dropped.units > 0 ? leftOutNote(dropped, service, report) : null;
    return { alert: short, leftOut };
  };
  const longest = Math.max(
    alert.whatHappened.length,
    alert.why.length,
    alert.nextStep.length,
    JSON.stringify(alert.evidence).length,
    ...alert.facts.map((f) => f.value.length),
  );
  let lo = 0;
  let hi = longest;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(at(mid))) lo = mid;
    else hi = mid - 1;
  }
  return at(lo);
}
