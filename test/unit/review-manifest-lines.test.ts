/**
 * Lines of a manifest (lib/manifest-lines.ts) and the review's findings on them: each image
 * entry's line in a pretty-printed manifest, in a one-line manifest and in one with CRLF
 * line ends, the line of any JSON path as manifests word it, and a refused image or a
 * manifest problem placed on the line a contributor edits.
 */
import { describe, expect, it } from "vitest";
import { imageFindings, problemFindings } from "../../app/review-findings.ts";
import { jsonPathOf } from "../../lib/json-keys.ts";
import { lineOfOffset, manifestLines, parseJsonPath } from "../../lib/manifest-lines.ts";
import { type Manifest, stringifyManifest } from "../../lib/manifest.ts";

const manifest: Manifest = {
  schema_version: 1,
  dataset_id: "farm-b",
  kind: "training",
  base_uri: "s3://mango-data/farm-b/",
  labels: ["verde", "maduro"],
  images: ["a", "b", "c"].map((k, i) => ({
    key: `${k}.jpg`,
    label: i % 2 ? "maduro" : "verde",
    sha256: String(i).repeat(64),
    split: "train" as const,
  })),
};

/** The 1-based line of the first line holding `needle`. */
const lineWith = (text: string, needle: string) =>
  text.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("manifestLines", () => {
  it("puts each image of a pretty-printed manifest on the line of its opening brace", () => {
    const text = stringifyManifest(manifest);
    const lines = manifestLines(text);
    // stringifyManifest: "images": [ on its own line, then "{" and four fields per entry.
    const first = lineWith(text, '"images"') + 1;
    expect(lines.images).toEqual([first, first + 6, first + 12]);
    expect(text.split("\n")[lines.images[1]! - 1]!.trim()).toBe("{");
    expect(text.split("\n")[lines.images[1]!]).toContain('"key": "b.jpg"');
    expect(lines.at(["labels"])).toBe(lineWith(text, '"labels"'));
    expect(lines.at(["images", 2, "sha256"])).toBe(lineWith(text, "2".repeat(64)));
    expect(lines.at(["images", 3])).toBeUndefined();
  });

  it("puts every image of a one-line manifest on line 1, and follows CRLF line ends", () => {
    expect(manifestLines(JSON.stringify(manifest)).images).toEqual([1, 1, 1]);
    const crlf = stringifyManifest(manifest).replaceAll("\n", "\r\n");
    expect(manifestLines(crlf).images).toEqual(manifestLines(stringifyManifest(manifest)).images);
    const oneEachLine = `{"images": [\n{"key": "a"},\n\n  {"key": "b"}]}`;
    expect(manifestLines(oneEachLine).images).toEqual([2, 4]);
  });

  it("maps nothing in a text that is not JSON, and what it recovers of a broken one", () => {
    expect(manifestLines("not json").images).toEqual([]);
    expect(manifestLines("not json").at(["labels"])).toBeUndefined();
    expect(manifestLines('{"images": [\n{"key": "a"},\n{"key": ').images[0]).toBe(2);
  });

  it("finds lines by binary search over line starts", () => {
    const line = lineOfOffset("ab\ncd\n\nef");
    expect([0, 2, 3, 5, 6, 7, 8].map(line)).toEqual([1, 1, 2, 2, 3, 4, 4]);
  });
});

describe("parseJsonPath", () => {
  it("reads back every path jsonPathOf writes", () => {
    for (const path of [[], ["labels"], ["images", 3, "sha256"], ["odd key", 0, 'q"uote']])
      expect(parseJsonPath(jsonPathOf(path))).toEqual(path);
    expect(parseJsonPath("labels")).toBeUndefined();
    expect(parseJsonPath("$.images[x]")).toBeUndefined();
  });
});

describe("the review's findings", () => {
  const text = stringifyManifest(manifest);
  const lines = manifestLines(text).images;

  it("puts a refused image on its entry's line with every error and fix, warnings left out", () => {
    const found = imageFindings("data-manifests/farm-b.json", text, [
      { key: "a.jpg", findings: [] },
      {
        key: "b.jpg",
        findings: [
          { check: "blur", severity: "error", message: "is blurred", fix: "retake it" },
          { check: "exposure", severity: "warning", message: "is dim", fix: "more light" },
          { check: "label", severity: "error", message: "is not a class", fix: "relabel it" },
        ],
      },
      {
        key: "c.jpg",
        findings: [{ check: "blur", severity: "warning", message: "soft", fix: "-" }],
      },
    ]);
    expect(found).toEqual([
      {
        file: "data-manifests/farm-b.json",
        line: lines[1],
        key: "b.jpg",
        checks: ["blur", "label"],
        message: "blur: is blurred (fix: retake it); label: is not a class (fix: relabel it)",
      },
    ]);
  });

  it("puts each problem of an unusable manifest on the line of the field it names", () => {
    const reason = [
      'data-manifests/farm-b.json: $.labels: "rotten" is not a class of this model [verde, maduro] (fix: correct the label)',
      "data-manifests/farm-b.json: $.images[2].sha256: must be 64 lowercase hex characters (fix: compute it)",
      "data-manifests/farm-b.json: $.nowhere: is odd (fix: -)",
      "something without a path",
    ].join("\n");
    const found = problemFindings("data-manifests/farm-b.json", text, reason);
    expect(found.map((f) => [f.line, f.message])).toEqual([
      [
        lineWith(text, '"labels"'),
        '$.labels: "rotten" is not a class of this model [verde, maduro] (fix: correct the label)',
      ],
      [
        lineWith(text, "2".repeat(64)),
        "$.images[2].sha256: must be 64 lowercase hex characters (fix: compute it)",
      ],
      [1, "$.nowhere: is odd (fix: -)"],
      [1, "something without a path"],
    ]);
  });
});
