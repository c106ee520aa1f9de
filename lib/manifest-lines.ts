/**
 * Where things sit in a manifest's text: the 1-based line of each entry of `images` and of
 * any JSON path, so a finding about an image (or a field) can be shown on the line a
 * contributor edits. jsonc-parser reads the text with offsets; JSON.parse keeps none. Pure.
 */
import { findNodeAtLocation, type Node, parseTree } from "jsonc-parser";

/** Lines of a manifest's text. */
export interface ManifestLines {
  /** Line of the `images[i]` entry (where its `{` is), in manifest order. */
  images: number[];
  /** Line of the value at `path` (keys and indexes from the root), or undefined when absent. */
  at(path: ReadonlyArray<string | number>): number | undefined;
}

/** The 1-based line of each offset of `text`, by binary search over the line starts. */
export function lineOfOffset(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/**
 * Maps a manifest's text to lines. Text that is not JSON at all maps nothing (every `at`
 * is undefined, `images` is empty); a partly broken text maps what its parser recovered.
 */
export function manifestLines(text: string): ManifestLines {
  const line = lineOfOffset(text);
  const root: Node | undefined = parseTree(text, [], { allowTrailingComma: false });
  const images = root ? findNodeAtLocation(root, ["images"]) : undefined;
  return {
    images: images?.type === "array" ? (images.children ?? []).map((c) => line(c.offset)) : [],
    at(path) {
      const node = root ? findNodeAtLocation(root, [...path]) : undefined;
      return node ? line(node.offset) : undefined;
    },
  };
}

/**
 * Reads a JSON path as lib/json-keys.ts writes it (`$`, `.name`, `[3]`, `["odd key"]`)
 * into keys and indexes; undefined for anything else.
 */
export function parseJsonPath(path: string): Array<string | number> | undefined {
  if (!path.startsWith("$")) return undefined;
  const out: Array<string | number> = [];
  const step = /\.([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  step.lastIndex = 1;
  while (step.lastIndex < path.length) {
    const at = step.lastIndex;
    const m = step.exec(path);
    if (!m || m.index !== at) return undefined;
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string)));
  }
  return out;
}
