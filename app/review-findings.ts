/**
 * The manifest review's findings, each on the line of the manifest that it is about
 * (lib/manifest-lines.ts): a refused image on the line of its `images[i]` entry, a problem
 * that makes the manifest unusable on the line of the field it names (line 1 when it names
 * none). The action turns them into annotations, the comment lists them. Pure.
 */
import { manifestLines, parseJsonPath } from "../lib/manifest-lines.ts";
import type { ImageReport } from "../lib/quality/index.ts";

/** One finding of the review, where it is. */
export interface ReviewFinding {
  /** The manifest's path in the repository. */
  file: string;
  /** 1-based line of the entry (or field) in that file. */
  line: number;
  /** The image, for a refused image. */
  key?: string;
  /** The checks that refused the image; empty for a problem of the manifest itself. */
  checks: string[];
  /** What is wrong and how to fix it, on one line. */
  message: string;
}

/** A refused image (any error finding), on the line of its entry; images in manifest order. */
export function imageFindings(
  file: string,
  text: string,
  images: readonly Pick<ImageReport, "key" | "findings">[],
): ReviewFinding[] {
  const lines = manifestLines(text).images;
  return images.flatMap((img, i) => {
    const errors = img.findings.filter((f) => f.severity === "error");
    if (!errors.length) return [];
    return [
      {
        file,
        line: lines[i] ?? 1,
        key: img.key,
        checks: [...new Set(errors.map((f) => f.check))],
        message: errors.map((f) => `${f.check}: ${f.message} (fix: ${f.fix})`).join("; "),
      },
    ];
  });
}

// "<file>: <JSON path>: <what is wrong> (fix: ...)", as manifests and the gate word a problem.
const PROBLEM = /^.*?: (\$(?:\.[A-Za-z_$][\w$]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*): (.*)$/;

/** Each line of why a manifest cannot be used, on the line of the JSON path it names. */
export function problemFindings(file: string, text: string, reason: string): ReviewFinding[] {
  const lines = manifestLines(text);
  return reason
    .split("\n")
    .filter((l) => l.trim())
    .map((problem) => {
      const m = PROBLEM.exec(problem);
      const path = m ? parseJsonPath(m[1]!) : undefined;
      return {
        file,
        line: (path && lines.at(path)) ?? 1,
        checks: [],
        message: m ? `${m[1]}: ${m[2]}` : problem,
      };
    });
}
