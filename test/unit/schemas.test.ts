/**
 * The committed files generated from the code (JSON Schemas, .env.example) match what the
 * code generates today, and the manifest example contributors copy from the README is valid.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config.ts";
import { ENV_OVERRIDES } from "../../lib/config-env.ts";
import { validateManifest } from "../../lib/manifest.ts";
import { generatedFiles, staleFiles } from "../../scripts/write-schemas.ts";

const REPO = resolve(import.meta.dirname, "../..");
const FIX = "run `npx tsx scripts/write-schemas.ts` and commit the result";

describe("generated files", () => {
  it.each(generatedFiles().map((f) => [f.path, f.content]))(
    "%s is committed up to date",
    async (path, content) => {
      const onDisk = await readFile(join(REPO, path), "utf8").catch(() => `(missing: ${FIX})`);
      expect(onDisk, `${path} is stale: ${FIX}`).toBe(content);
    },
  );

  it("are generated deterministically", () => {
    expect(generatedFiles()).toEqual(generatedFiles());
  });

  describe("staleFiles (what --check reports)", () => {
    const temps: string[] = [];
    afterAll(async () => {
      await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
    });

    it("names exactly the files that differ or are missing", async () => {
      const dir = await mkdtemp(join(tmpdir(), "schemas-test-"));
      temps.push(dir);
      const [manifestSchema, configSchema, envExample] = generatedFiles();
      for (const f of [manifestSchema!, configSchema!]) {
        await mkdir(dirname(join(dir, f.path)), { recursive: true });
        await writeFile(join(dir, f.path), f.content);
      }
      expect(await staleFiles(dir)).toEqual([envExample!.path]);
      await writeFile(
        join(dir, configSchema!.path),
        configSchema!.content.replace('"maximum": 10', '"maximum": 100'),
      );
      expect(await staleFiles(dir)).toEqual([configSchema!.path, envExample!.path]);
    });

    it("finds nothing stale in this repository", async () => {
      expect(await staleFiles(REPO)).toEqual([]);
    });
  });

  it("the config schema leaves every defaulted field optional and is the one mlops.config.json points at", async () => {
    const schema = JSON.parse(await readFile(join(REPO, "mlops.config.schema.json"), "utf8"));
    expect(schema.required ?? []).toEqual([]);
    expect(schema.properties.quality.properties.threshold).toMatchObject({
      default: 7,
      minimum: 0,
      maximum: 10,
    });
    expect(loadConfig(join(REPO, "mlops.config.json"), {}).$schema).toBe(
      "./mlops.config.schema.json",
    );
  });

  it("both JSON Schemas refuse unknown keys in every object, as the strict zod objects do", async () => {
    const open: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (!node || typeof node !== "object") return;
      const n = node as Record<string, unknown>;
      if (n.type === "object" && n.properties && n.additionalProperties !== false) open.push(at);
      for (const [k, v] of Object.entries(n)) walk(v, `${at}/${k}`);
    };
    for (const file of ["mlops.config.schema.json", "data-manifests/manifest.schema.json"])
      walk(JSON.parse(await readFile(join(REPO, file), "utf8")), file);
    expect(open).toEqual([]);
  });

  it(".env.example lists every override empty, with its doc and field, and credentials commented out", () => {
    const env = generatedFiles().find((f) => f.path === ".env.example")!.content;
    for (const [name, spec] of Object.entries(ENV_OVERRIDES)) {
      expect(env).toMatch(
        new RegExp(
          `^# ${spec.doc.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n# sets ${spec.field.replace(".", "\\.")} .*\\n${name}=$`,
          "m",
        ),
      );
    }
    expect(env).toMatch(/^# AWS_ACCESS_KEY_ID=$/m);
    expect(env).toMatch(/^# AWS_SECRET_ACCESS_KEY=$/m);
    // The LLM and VLM keys are documented but optional: the embedded default needs neither.
    expect(env).toMatch(/^# MLOPS_LLM_API_KEY=$/m);
    expect(env).toMatch(/^# MLOPS_VLM_API_KEY=$/m);
    expect(env).toContain("Neither is needed");
    // Nothing but empty assignments: a copied .env.example changes nothing until edited.
    expect(
      env.split("\n").filter((l) => l && !l.startsWith("#") && !/^[A-Z0-9_]+=$/.test(l)),
    ).toEqual([]);
  });
});

describe("data-manifests/README.md", () => {
  it("shows an example manifest that validates cleanly and uses only the model's classes", async () => {
    const readme = await readFile(join(REPO, "data-manifests/README.md"), "utf8");
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks).toHaveLength(1);
    const result = validateManifest(JSON.parse(blocks[0]!), "data-manifests/README.md");
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const modelLabels = loadConfig(join(REPO, "mlops.config.json"), {}).labels;
    expect(result.manifest!.labels.filter((l) => !modelLabels.includes(l))).toEqual([]);
  });
});
