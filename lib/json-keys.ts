/**
 * Repeated keys in JSON text. `JSON.parse` keeps the last of two equal keys without a
 * word, so a committed file can say one thing to the person reading it (the first value)
 * and another to the code (the last). Manifests and the configuration refuse them.
 *
 * JSON.parse and zod see only the parsed object. The `yaml` package (a dev dependency of
 * the workflow linter) can report repeated keys, but it builds a full document tree, far
 * slower than this on a manifest of 100,000 images, so this is a small scanner over the
 * text. It expects text that `JSON.parse` has already accepted, and only tracks what it
 * needs: the nesting, each object's keys and each array's index.
 */

/** One key an object repeats. */
export interface DuplicateKey {
  /** Where the repeated key sits: the keys and indexes from the root, then the key itself. */
  path: Array<string | number>;
  key: string;
  /** 1-based line of the repetition, and of the key's first appearance. */
  line: number;
  firstLine: number;
}

type Frame =
  | { kind: "object"; keys: Map<string, number>; key?: string; expectKey: boolean }
  | { kind: "array"; index: number };

/** Every repeated key in `text` (valid JSON), in the order they appear. */
export function duplicateKeys(text: string): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const stack: Frame[] = [];
  let line = 1;
  const pathHere = (): Array<string | number> =>
    stack.map((f) => (f.kind === "array" ? f.index : (f.key ?? "")));
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\n") line++;
    else if (ch === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.kind === "object" && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        const first = top.keys.get(key);
        top.key = key;
        if (first === undefined) top.keys.set(key, line);
        else found.push({ path: pathHere(), key, line, firstLine: first });
      }
      i = end;
    } else if (ch === ":") {
      const top = stack[stack.length - 1];
      if (top?.kind === "object") top.expectKey = false;
    } else if (ch === ",") {
      const top = stack[stack.length - 1];
      if (top?.kind === "object") top.expectKey = true;
      else if (top?.kind === "array") top.index++;
    } else if (ch === "{") stack.push({ kind: "object", keys: new Map(), expectKey: true });
    else if (ch === "[") stack.push({ kind: "array", index: 0 });
    else if (ch === "}" || ch === "]") stack.pop();
  }
  return found;
}

/** A path as JSONPath (`$.images[3].key`, `$["odd key"]`), as manifest problems name it. */
export function jsonPathOf(path: ReadonlyArray<PropertyKey>): string {
  return (
    "$" +
    path
      .map((p) =>
        typeof p === "number"
          ? `[${p}]`
          : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(String(p))
            ? `.${String(p)}`
            : `[${JSON.stringify(String(p))}]`,
      )
      .join("")
  );
}
