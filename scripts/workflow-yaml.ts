/**
 * Workflow and action files as a small tree with the line each node starts on, read by the
 * `yaml` package (its CST positions through a LineCounter), for rules that report where.
 * Mappings, sequences (block or flow) and scalars; anchors resolve as the library resolves
 * them. Pure.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";

/** A node of the document, with its 1-based line. */
export type YamlNode =
  | { kind: "map"; line: number; entries: YamlEntry[] }
  | { kind: "seq"; line: number; items: YamlNode[] }
  | { kind: "scalar"; line: number; value: string };

/** One `key: value` of a mapping. */
export interface YamlEntry {
  key: string;
  line: number;
  value: YamlNode;
}

function convert(node: unknown, lines: LineCounter, fallbackLine: number): YamlNode {
  const line = (n: Node | null | undefined) =>
    n?.range ? lines.linePos(n.range[0]).line : fallbackLine;
  if (isMap(node)) {
    return {
      kind: "map",
      line: line(node),
      entries: node.items.map((pair) => {
        const keyLine = line(pair.key as Node);
        return {
          key: isScalar(pair.key) ? String(pair.key.value) : String(pair.key),
          line: keyLine,
          value: convert(pair.value, lines, keyLine),
        };
      }),
    };
  }
  if (isSeq(node))
    return {
      kind: "seq",
      line: line(node),
      items: node.items.map((item) => convert(item, lines, line(node))),
    };
  if (isScalar(node))
    return {
      kind: "scalar",
      line: line(node),
      value: node.value === null ? "" : String(node.value),
    };
  return { kind: "scalar", line: fallbackLine, value: "" };
}

/** Reads a document; an empty one is an empty mapping. A syntax error throws, naming the line. */
export function parseYaml(text: string): YamlNode {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  const error = doc.errors[0];
  if (error)
    throw new Error(
      `YAML syntax error at line ${error.linePos?.[0]?.line ?? "?"}: ${error.message}`,
    );
  if (doc.contents === null) return { kind: "map", line: 1, entries: [] };
  return convert(doc.contents, lines, 1);
}

/** The value under `key` of a mapping (undefined for anything else). */
export function get(node: YamlNode | undefined, key: string): YamlNode | undefined {
  return node?.kind === "map" ? node.entries.find((e) => e.key === key)?.value : undefined;
}

/** A scalar's text, or undefined. */
export function scalar(node: YamlNode | undefined): string | undefined {
  return node?.kind === "scalar" ? node.value : undefined;
}

/** A mapping's entries ([] for anything else). */
export function entries(node: YamlNode | undefined): YamlEntry[] {
  return node?.kind === "map" ? node.entries : [];
}

/** A sequence's items ([] for anything else). */
export function items(node: YamlNode | undefined): YamlNode[] {
  return node?.kind === "seq" ? node.items : [];
}

/** Every scalar under a node (keys included), for text searches such as `secrets.*`. */
export function allText(node: YamlNode | undefined): string[] {
  if (!node) return [];
  if (node.kind === "scalar") return [node.value];
  if (node.kind === "seq") return node.items.flatMap(allText);
  return node.entries.flatMap((e) => [e.key, ...allText(e.value)]);
}
