/**
 * Shortening an alert to a limit (lib/notify/fit.ts): a cut never splits a surrogate
 * pair, prefers a word boundary, keeps the evidence's order and drops a labelled list's
 * label with its last item; the left-out line counts what went and points at the full
 * report; an alert that fits comes back as it was.
 */
import { describe, expect, it } from "vitest";
import { type Alert, cutText, fitAlert, type FittedAlert } from "../../lib/notify/index.ts";
import { LONE_SURROGATE } from "../helpers/notify-contracts.ts";
import { rejected } from "../helpers/notify-alerts.ts";

const report = { place: "alert.md in the run folder of run-42" };
const sizeOf = ({ alert, leftOut }: FittedAlert) =>
  JSON.stringify(alert).length + (leftOut?.text.length ?? 0);

describe("cutText", () => {
  it("never splits a surrogate pair, at any length", () => {
    const text = "a🥭".repeat(50);
    for (let max = 1; max <= 160; max++) {
      const cut = cutText(text, max);
      expect(cut.length, `max ${max}`).toBeLessThanOrEqual(max);
      expect(LONE_SURROGATE.test(cut), `max ${max}: ${cut}`).toBe(false);
    }
  });

  it("keeps text that fits, cuts at a space near the end, and marks the cut", () => {
    expect(cutText("short", 5)).toBe("short");
    expect(cutText("the quick brown fox jumps", 20)).toBe("the quick brown fox…");
    expect(cutText("x".repeat(30), 10)).toBe(`${"x".repeat(9)}…`);
  });
});

describe("fitAlert", () => {
  it("returns an alert that fits untouched, without a left-out line", () => {
    const fitted = fitAlert(rejected, () => true, "Slack", report);
    expect(fitted.alert).toBe(rejected);
    expect(fitted.leftOut).toBeNull();
  });

  it("keeps the first lines and items in order, and says what it left out", () => {
    const alert: Alert = {
      ...rejected,
      why: Array.from({ length: 30 }, (_, i) => `line ${i} ${"x".repeat(50)}`).join("\n"),
      evidence: [
        "first item",
        {
          label: "Files",
          items: Array.from({ length: 30 }, (_, i) => `file-${i}.jpg ${"y".repeat(40)}`),
        },
        { label: "Never shown", items: ["z".repeat(5000)] },
      ],
    };
    const fitted = fitAlert(alert, (f) => sizeOf(f) <= 3000, "Teams", report);
    expect(sizeOf(fitted)).toBeLessThanOrEqual(3000);
    const lines = fitted.alert.why.split("\n");
    expect(lines[0]).toMatch(/^line 0 /);
    lines.slice(0, -1).forEach((l, i) => expect(l).toMatch(new RegExp(`^line ${i} x{50}$`)));
    expect(fitted.alert.evidence[0]).toBe("first item");
    const files = fitted.alert.evidence[1] as { label: string; items: string[] };
    expect(files.items[0]).toMatch(/^file-0\.jpg/);
    // The last list lost its only item, so its label went too.
    expect(JSON.stringify(fitted.alert.evidence)).not.toContain("Never shown");
    expect(fitted.leftOut!.text).toMatch(
      /^\d+ lines were left out or shortened \(\d+ KB of text\) to fit the size limits of Teams; the full report is alert\.md in the run folder of run-42$/,
    );
    expect(fitted.leftOut!.url).toBeUndefined();
  });

  it("links the full report only at an http(s) URL", () => {
    const long = { ...rejected, why: "w ".repeat(5000) };
    const fits = (f: FittedAlert) => sizeOf(f) <= 2000;
    const web = fitAlert(long, fits, "Slack", {
      ...report,
      url: "https://github.com/a/b/actions/runs/1",
    });
    expect(web.leftOut!.url).toBe("https://github.com/a/b/actions/runs/1");
    const bad = fitAlert(long, fits, "Slack", { ...report, url: "javascript:alert(1)" });
    expect(bad.leftOut!.url).toBeUndefined();
    expect(web.leftOut!.text).toMatch(/^1 line was left out or shortened \(\d+ KB of text\)/);
  });
});
