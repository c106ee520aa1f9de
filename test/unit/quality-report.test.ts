/** Rendering a report on hand-made findings: the markdown report and the failure analysis. */
import { describe, expect, it } from "vitest";
import {
  defaultQualityConfig,
  failureAnalysis,
  finishAssessment,
  type ImageReport,
  type QualityReport,
  renderQualityMarkdown,
} from "../../lib/quality/index.ts";
import type { Manifest } from "../../lib/manifest.ts";

const cfg = defaultQualityConfig();

describe("rendering", () => {
  const images: ImageReport[] = [
    { key: "ok.jpg", label: "ripe", split: "train", sha256: "a", findings: [] },
    {
      key: "soft.jpg",
      label: "ripe",
      split: "train",
      sha256: "b",
      findings: [
        {
          check: "blur",
          severity: "error",
          message: "is blurred: sharpness 5 (minimum 30)",
          fix: "retake in focus, holding the camera still",
        },
      ],
    },
    {
      key: "night|1.jpg",
      label: "unripe",
      split: "val",
      sha256: "c",
      findings: [
        {
          check: "exposure",
          severity: "error",
          message: "is too dark: mean brightness 12/255 (minimum 30)",
          fix: "retake in better light",
        },
      ],
    },
  ];
  const m: Manifest = {
    schema_version: 1,
    dataset_id: "r",
    kind: "training",
    base_uri: "file:///x",
    labels: ["ripe", "unripe"],
    images: images.map((i) => ({
      key: i.key,
      label: i.label,
      sha256: "0".repeat(64),
      split: i.split as "train",
    })),
  };
  const report: QualityReport = finishAssessment(
    m,
    [
      {
        dataset_id: "r",
        manifest_images: 3,
        shard: { index: 0, count: 1, start: 0, end: 3 },
        images,
        hashes: [],
      },
    ],
    { config: cfg },
  );

  it("renders the verdict, tables, the images to fix and the scoring", () => {
    const md = renderQualityMarkdown(report, { threshold: 7 });
    expect(md).toContain(
      `**quality_score ${report.quality_score.toFixed(1)} / 10** (threshold 7.0): **FAIL**`,
    );
    expect(md).toContain("| blur | 1/3 | 0 |");
    expect(md).toContain("| `unripe` | 1 | 33.3% | 0 | 1 | exposure 1 | 1 |");
    expect(md).toContain("| `night\\|1.jpg` | `unripe` | exposure: is too dark");
    expect(md).toContain("VLM not consulted: not configured");
    expect(md).toContain("retake in better light");
    expect(md).not.toContain("`ok.jpg`");
    expect(md).toContain("## How the score is computed");
  });

  it("writes a failure analysis naming files, causes and fixes", () => {
    const text = failureAnalysis(report, 7);
    expect(text).toContain("below the 7.0 threshold: 2 of 3 images refused");
    expect(text).toMatch(/Causes .*: (blur 1, exposure 1|exposure 1, blur 1)/);
    expect(text).toContain("- soft.jpg (ripe): blur: is blurred");
    expect(text).toContain("Fix: retake in better light");
  });
});
