/**
 * Repeated keys in JSON text, which JSON.parse silently resolves to the last value: found
 * at any depth, located by path and line, and not confused by keys inside strings.
 */
import { describe, expect, it } from "vitest";
import { duplicateKeys, jsonPathOf } from "../../lib/json-keys.ts";

describe("duplicateKeys", () => {
  it("finds a repeated top-level key with both lines", () => {
    const text = '{\n  "base_uri": "s3://a/x",\n  "kind": "training",\n  "base_uri": "s3://b/y"\n}';
    expect(duplicateKeys(text)).toEqual([
      { path: ["base_uri"], key: "base_uri", line: 4, firstLine: 2 },
    ]);
  });

  it("finds repeats at any depth, inside arrays of objects, with the array index", () => {
    const text = JSON.stringify({ images: [{ key: "a" }, { key: "b", label: "x" }] }).replace(
      '"label":"x"',
      '"label":"x","label":"y"',
    );
    expect(duplicateKeys(text)).toEqual([
      { path: ["images", 1, "label"], key: "label", line: 1, firstLine: 1 },
    ]);
  });

  it("compares keys as JSON.parse reads them, escapes decoded", () => {
    expect(duplicateKeys('{"ab": 1, "a\\u0062": 2}').map((d) => d.key)).toEqual(["ab"]);
  });

  it("does not count equal keys of different objects, nor keys or braces inside strings", () => {
    const text = JSON.stringify({
      a: { key: 1 },
      b: { key: 2 },
      note: '{"key": 1, "key": 2} [ , : "',
      list: [{ key: 1 }, { key: 2 }, [], {}],
      key: 3,
    });
    expect(duplicateKeys(text)).toEqual([]);
  });

  it("reports every repetition, a key three times twice", () => {
    expect(duplicateKeys('{"a":1,"a":2,"a":3}').map((d) => d.path)).toEqual([["a"], ["a"]]);
  });
});

describe("jsonPathOf", () => {
  it("writes identifiers with dots, indexes in brackets and other keys quoted", () => {
    expect(jsonPathOf(["images", 3, "sha256"])).toBe("$.images[3].sha256");
    expect(jsonPathOf(["a b", "x.y"])).toBe('$["a b"]["x.y"]');
    expect(jsonPathOf([])).toBe("$");
  });
});
