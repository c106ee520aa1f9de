/**
 * Rules the configuration's schemas share (config.ts and the sections it imports): URLs
 * and store URIs of an allowed form, lists without repeats, min/max pairs in order, and
 * the words of an error: every line names the field, what is wrong and how to fix it, an
 * unknown key with the setting it was probably meant to be.
 */
import { z } from "zod";
import { baseUriProblem } from "./manifest.ts";

/** An http(s) endpoint such as an OpenAI-compatible base URL or an S3-compatible endpoint. */
export function httpUrl(example: string) {
  return z.url({
    protocol: /^https?$/,
    error: `expected an http:// or https:// URL (fix: e.g. ${example})`,
  });
}

/**
 * Why `uri` cannot name a store, or undefined when it can: `file:///absolute/folder`,
 * `s3://bucket/prefix` or, with `folders`, a plain folder path (no scheme).
 */
export function storeUriProblem(uri: string, folders: boolean): string | undefined {
  if (uri.trim() === "") return "is empty";
  if (!/^[A-Za-z][A-Za-z0-9+.-]+:/.test(uri))
    return folders ? undefined : "is not a URI: must start with file:/// or s3://<bucket>";
  return baseUriProblem(uri);
}

/** A store location: a folder (relative to the repository or absolute), file:/// or s3://. */
export function storeLocation() {
  return z.string().superRefine((uri, ctx) => {
    const problem = storeUriProblem(uri, true);
    if (problem)
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(uri)} ${problem} (fix: use "s3://bucket/prefix", "file:///absolute/folder" or a folder path such as ".mlops/artifacts")`,
      });
  });
}

/** Adds an issue for each value `list` repeats. */
export function noRepeats(what: string) {
  return (list: readonly unknown[], ctx: z.RefinementCtx) => {
    const seen = new Set<unknown>();
    list.forEach((value, i) => {
      if (seen.has(value))
        ctx.addIssue({
          code: "custom",
          path: [i],
          message: `${JSON.stringify(value)} is listed twice (fix: list each ${what} once)`,
        });
      seen.add(value);
    });
  };
}

/**
 * Adds an issue for each `[low, high]` pair out of order: `low` must not exceed `high`
 * (with `strict`, must be below it).
 */
export function inOrder<T extends object>(
  pairs: Array<[keyof T & string, keyof T & string, "strict"?]>,
) {
  return (value: T, ctx: z.RefinementCtx) => {
    for (const [low, high, strict] of pairs) {
      const a = value[low] as unknown;
      const b = value[high] as unknown;
      if (typeof a !== "number" || typeof b !== "number") continue;
      if (strict ? a < b : a <= b) continue;
      ctx.addIssue({
        code: "custom",
        path: [low],
        message: strict
          ? `is ${a}, not below ${high} (${b}); it must be smaller (fix: lower ${low} or raise ${high})`
          : `is ${a}, more than ${high} (${b}); it must not exceed it (fix: lower ${low} or raise ${high})`,
      });
    }
  };
}

type Schema = z.core.$ZodType;

/** The schema of `key` inside `schema`, through defaults, optionals, unions and arrays. */
function child(schema: Schema, key: PropertyKey): Schema[] {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  if (def.type === "object") {
    const inner = (def.shape as Record<string, Schema>)[String(key)];
    return inner ? [inner] : [];
  }
  if (def.type === "array") return typeof key === "number" ? [def.element as Schema] : [];
  if (def.type === "union") return (def.options as Schema[]).flatMap((o) => child(o, key));
  if (def.type === "pipe") return child(def.in as Schema, key);
  return def.innerType ? child(def.innerType as Schema, key) : [];
}

/** The keys an object at `path` of `schema` accepts. */
export function knownKeys(schema: Schema, path: ReadonlyArray<PropertyKey>): string[] {
  let nodes = [schema];
  for (const key of path) nodes = nodes.flatMap((n) => child(n, key));
  const keys = new Set<string>();
  const collect = (s: Schema) => {
    const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === "object") for (const k of Object.keys(def.shape as object)) keys.add(k);
    else if (def.type === "union") (def.options as Schema[]).forEach(collect);
    else if (def.type === "pipe") collect(def.in as Schema);
    else if (def.innerType) collect(def.innerType as Schema);
  };
  nodes.forEach(collect);
  return [...keys];
}

function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(
        row[j]! + 1,
        next[j - 1]! + 1,
        row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    row = next;
  }
  return row[b.length]!;
}

/** The known key `key` was probably meant to be, if one is close enough. */
export function closestKey(key: string, known: string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, "");
  const same = known.find((k) => norm(k) === norm(key));
  if (same) return same;
  const scored = known
    .map((k) => ({ k, d: distance(norm(k), norm(key)) }))
    .sort((x, y) => x.d - y.d);
  const best = scored[0];
  return best && best.d <= Math.max(2, Math.floor(key.length / 4)) ? best.k : undefined;
}

/**
 * One line per problem: `where: field: what (fix: how)`. `where(field)` names the file or
 * the environment variable the value came from; an unknown key names the setting it was
 * probably meant to be, or the settings that exist there.
 */
export function issueLines(
  issues: z.core.$ZodIssue[],
  schema: Schema,
  where: (field: string) => string,
): string[] {
  const dotted = (path: ReadonlyArray<PropertyKey>) => path.map(String).join(".");
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      const known = knownKeys(schema, issue.path);
      return issue.keys.map((key) => {
        const field = dotted([...issue.path, key]);
        const meant = closestKey(key, known);
        const fix = meant
          ? `did you mean "${meant}"? rename the key`
          : `remove it; the settings here are ${known.join(", ")}`;
        return `${where(field)}: ${field}: is not a setting (fix: ${fix})`;
      });
    }
    const field = dotted(issue.path);
    const fix = /\(fix: /.test(issue.message)
      ? ""
      : ` (fix: see ${field || "the root"} in mlops.config.schema.json)`;
    return [`${where(field)}: ${field || "(root)"}: ${issue.message}${fix}`];
  });
}
