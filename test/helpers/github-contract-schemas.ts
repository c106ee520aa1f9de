/**
 * GitHub's REST description (`@octokit/openapi`, dereferenced: every schema inline) as the
 * contract checks (github-contract.ts) use it: an index of its operations and a validator per
 * schema, compiled by Ajv on first use. OpenAPI 3.0's `nullable` is turned into JSON Schema
 * and known errors of the description are fixed (each with GitHub's issue) before compiling.
 *
 * The description is 73 MB and its pull request schemas take Ajv half a second each, in
 * every test process. So the index and each compiled validator (Ajv's standalone code) are
 * kept in node_modules/.cache/github-contract/<key>/, the key hashing the package versions
 * and this file: the description is read only when something is not there yet.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import standaloneCodeModule from "ajv/dist/standalone/index.js";

// The JSON of an OpenAPI description: untyped, as it is read.
export type Json = Record<string, any>;

/** One operation of the description, as the index keeps it. */
export interface Operation {
  /** GitHub's operationId, e.g. `pulls/create`. */
  id: string;
  method: string;
  template: string;
  /** Served on the uploads host (uploads.github.com), not the API root. */
  upload: boolean;
  parameters: Json[];
  requestBody: Json | undefined;
  /** Each declared status, and whether it has a JSON body schema. */
  responses: Record<string, boolean>;
  pattern: RegExp;
  names: string[];
  literals: number;
}

const require = createRequire(import.meta.url);
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const standaloneCode = standaloneCodeModule as unknown as (ajv: Ajv, v: ValidateFunction) => string;
const version = (pkg: string) => (require(`${pkg}/package.json`) as { version: string }).version;
const cacheDir = join(
  dirname(dirname(require.resolve("ajv/package.json"))),
  ".cache",
  "github-contract",
  createHash("sha1")
    .update(["@octokit/openapi", "ajv", "ajv-formats"].map(version).join(" "))
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .digest("hex")
    .slice(0, 16),
);

function ajvWith(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes, code: { source: true } });
  addFormats(ajv);
  // Formats the description names that JSON Schema has no checker for: not checked.
  ajv.addFormat("repo.nwo", true);
  ajv.addFormat("binary", true);
  return ajv;
}
const bodies = ajvWith(false);
// Path and query parameters arrive as strings: coerced to the declared types first.
const parameters = ajvWith(true);

let spec: { paths: Record<string, Json> } | undefined;
/** The whole description, read on first need. */
function description() {
  spec ??= JSON.parse(
    readFileSync(require.resolve("@octokit/openapi/generated/api.github.com.deref.json"), "utf8"),
  ) as { paths: Record<string, Json> };
  return spec;
}

/**
 * OpenAPI 3.0's `nullable` for JSON Schema: Ajv reads `nullable: true` next to `type`, but
 * the description also puts it beside `anyOf`/`allOf` alone, and on enums without null.
 */
function nullableToJsonSchema(schema: unknown, names = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => nullableToJsonSchema(s));
  if (!schema || typeof schema !== "object") return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema as Json)) {
    // Under `properties` keys are names, each a schema; elsewhere examples are data.
    out[k] =
      !names && (k === "example" || k === "examples")
        ? v
        : nullableToJsonSchema(v, k === "properties" && !names);
  }
  if (names || out.nullable !== true) return out;
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  if (out.type !== undefined) return out;
  delete out.nullable;
  return { anyOf: [{ type: "null" }, out] };
}

/**
 * Where the description is known to be wrong, each with GitHub's issue: the fix is made to
 * the schema before it is compiled, so the rest of the schema is still checked.
 */
export const DESCRIPTION_ERRATA: { reason: string; fix: (schema: Json) => void }[] = [
  {
    reason:
      "a pull request list item's label description is null for a label without one, as in every other label (github/rest-api-description#1812)",
    fix(schema) {
      const description =
        schema.title === "Pull Request Simple" &&
        schema.properties?.labels?.items?.properties?.description;
      if (description) description.nullable = true;
    },
  },
];

function applyErrata(schema: unknown): void {
  if (!schema || typeof schema !== "object") return;
  if (!Array.isArray(schema)) for (const e of DESCRIPTION_ERRATA) e.fix(schema as Json);
  for (const v of Object.values(schema)) applyErrata(v);
}

/** Writes `text` to the cache at once (a parallel test process sees all of it or nothing). */
function keep(name: string, text: string): void {
  mkdirSync(cacheDir, { recursive: true });
  const tmp = join(cacheDir, `${name}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(cacheDir, name));
}

/** The path template as a pattern: a parameter is one (percent-encoded) segment. */
function withPattern(op: Omit<Operation, "pattern" | "names" | "literals">): Operation {
  const names: string[] = [];
  const source = op.template.replace(/\{([^}]+)\}|[^{]+/g, (m, name: string | undefined) => {
    if (!name) return m.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    names.push(name);
    return "([^/]+)";
  });
  const literals = op.template.replace(/\{[^}]+\}/g, "").length;
  return { ...op, pattern: new RegExp(`^${source}$`), names, literals };
}

function buildIndex(): Omit<Operation, "pattern" | "names" | "literals">[] {
  const index = [];
  for (const [template, item] of Object.entries(description().paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!op?.operationId) continue;
      const responses = Object.fromEntries(
        Object.entries((op.responses ?? {}) as Record<string, Json>).map(([status, r]) => [
          status,
          Boolean(r.content?.["application/json"]?.schema),
        ]),
      );
      index.push({
        id: op.operationId as string,
        method: method.toUpperCase(),
        template,
        upload: ((op.servers ?? []) as { url: string }[]).some((s) => s.url.includes("uploads.")),
        parameters: (op.parameters ?? []) as Json[],
        requestBody: op.requestBody as Json | undefined,
        responses,
      });
    }
  }
  return index;
}

let operations: Operation[] | undefined;
/** Every operation of the description. */
export function allOperations(): Operation[] {
  if (operations) return operations;
  const file = join(cacheDir, "index.json");
  const index = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as ReturnType<typeof buildIndex>)
    : buildIndex();
  if (!existsSync(file)) keep("index.json", JSON.stringify(index));
  operations = index.map(withPattern);
  return operations;
}

const compiled = new Map<string, ValidateFunction>();

/** The validator of `schema()`, from memory, the cache, or compiled (and then kept). */
function validator(key: string, coerce: boolean, schema: () => unknown): ValidateFunction {
  const known = compiled.get(key);
  if (known) return known;
  const name = `${createHash("sha1").update(key).digest("hex")}.cjs`;
  let v: ValidateFunction;
  if (existsSync(join(cacheDir, name))) {
    v = require(join(cacheDir, name)) as ValidateFunction;
  } else {
    const ajv = coerce ? parameters : bodies;
    const copy = structuredClone(schema());
    applyErrata(copy);
    v = ajv.compile(nullableToJsonSchema(copy) as object);
    keep(name, standaloneCode(ajv, v));
  }
  compiled.set(key, v);
  return v;
}

/** `op`'s path or query parameters as one object schema; an undeclared parameter is an error. */
export function parametersValidator(op: Operation, where: "path" | "query"): ValidateFunction {
  return validator(`${op.id} ${where}`, true, () => {
    const list = op.parameters.filter((p) => p.in === where);
    return {
      type: "object",
      properties: Object.fromEntries(list.map((p) => [p.name, p.schema ?? {}])),
      required: list.filter((p) => p.required).map((p) => p.name),
      additionalProperties: false,
    };
  });
}

/** `op`'s JSON request body, or undefined when it takes none as JSON. */
export function requestValidator(op: Operation): ValidateFunction | undefined {
  const json = op.requestBody?.content?.["application/json"] as Json | undefined;
  return json && validator(`${op.id} request`, false, () => json.schema ?? {});
}

/** `op`'s JSON answer with `status` (a declared status with a JSON schema). */
export function responseValidator(op: Operation, status: string): ValidateFunction {
  return validator(`${op.id} ${status}`, false, () => {
    const responses = description().paths[op.template]![op.method.toLowerCase()].responses;
    return responses[status].content["application/json"].schema;
  });
}
