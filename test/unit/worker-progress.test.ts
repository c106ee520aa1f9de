import { describe, expect, it } from "vitest";
import { batchProgressReporter, formatBatchProgress } from "../../worker/progress.ts";
import type { BatchProgress } from "../../worker/train.ts";

const at = (batch: number, seconds: number): BatchProgress => ({
  epoch: 2,
  batch,
  batches: 10,
  images: batch * 32,
  seconds,
  loss: 0.4567,
});

describe("per-batch progress", () => {
  it("draws a bar on a terminal, redrawn in place and cleared at the epoch's end", () => {
    const out: string[] = [];
    const report = batchProgressReporter({ tty: true, write: (t) => out.push(t) });
    report(at(5, 1));
    report(at(10, 2));
    expect(out[0]).toBe(
      "\r\x1b[2Kepoch 2 batch 5/10 [############............] loss 0.457 160 img/s ~1 s left",
    );
    expect(out[1]).toMatch(
      // eslint-disable-next-line no-control-regex -- the bar redraws with terminal escapes
      /^\r\x1b\[2Kepoch 2 batch 10\/10 \[#{24}\] loss 0\.457 160 img\/s\r\x1b\[2K$/,
    );
  });

  it("writes a plain line every few seconds to a log, not one per batch", () => {
    const out: string[] = [];
    let now = 0;
    const report = batchProgressReporter({
      tty: false,
      write: (t) => out.push(t),
      everySeconds: 10,
      now: () => now,
    });
    for (let b = 1; b <= 10; b++) {
      now = b * 3; // a batch every 3 s
      report(at(b, now));
    }
    expect(out).toEqual([
      "epoch 2 batch 4/10: loss 0.457, 11 img/s, ~18 s left\n",
      "epoch 2 batch 8/10: loss 0.457, 11 img/s, ~6 s left\n",
    ]);
  });

  it("formats without a rate before any time has passed", () => {
    expect(formatBatchProgress(at(1, 0), false)).toBe("epoch 2 batch 1/10: loss 0.457");
  });
});
