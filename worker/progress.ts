/**
 * Progress inside an epoch: a bar redrawn in place on a terminal, a plain line every few
 * seconds where output is a log (CI, a pipe), so a long epoch never looks hung and a log
 * is not flooded with one line per batch. Written here rather than taken from a progress
 * bar package because the log mode is the one that matters (Actions logs) and it is a
 * dozen lines.
 */
import type { BatchProgress } from "./train.ts";

export interface ProgressSink {
  /** A terminal: redraw one line with \r. */
  tty: boolean;
  write: (text: string) => void;
  /** Seconds between log lines when not a terminal (default 10). */
  everySeconds?: number;
  now?: () => number;
}

const BAR = 24;

/** One progress line, without line ending. */
export function formatBatchProgress(p: BatchProgress, bar: boolean): string {
  const parts = [`loss ${p.loss.toFixed(3)}`];
  if (p.seconds > 0) parts.push(`${Math.round(p.images / p.seconds)} img/s`);
  if (p.seconds > 0 && p.batch < p.batches)
    parts.push(`~${Math.round((p.seconds / p.batch) * (p.batches - p.batch))} s left`);
  const head = `epoch ${p.epoch} batch ${p.batch}/${p.batches}`;
  if (!bar) return `${head}: ${parts.join(", ")}`;
  const done = Math.round((p.batch / p.batches) * BAR);
  return `${head} [${"#".repeat(done)}${".".repeat(BAR - done)}] ${parts.join(" ")}`;
}

/** An `onBatch` callback that reports to `sink`. */
export function batchProgressReporter(sink: ProgressSink): (p: BatchProgress) => void {
  const now = sink.now ?? (() => performance.now() / 1000);
  const every = sink.everySeconds ?? 10;
  let lastLog = now();
  return (p) => {
    const last = p.batch === p.batches;
    if (sink.tty) {
      sink.write(`\r\x1b[2K${formatBatchProgress(p, true)}${last ? "\r\x1b[2K" : ""}`);
      return;
    }
    const t = now();
    if (!last && t - lastLog >= every) {
      lastLog = t;
      sink.write(`${formatBatchProgress(p, false)}\n`);
    }
  };
}
