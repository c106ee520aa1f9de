/**
 * Reading a manifest file as contributors meet it: a committed manifest reads back
 * exactly; invalid JSON, a repeated key, a missing file, a folder and a manifest that
 * breaks the rules are ManifestErrors naming the file, the JSON path and a fix.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ManifestError, stringifyManifest } from "../../lib/manifest.ts";
import { readManifest } from "../../lib/manifest-file.ts";
import { training } from "../helpers/manifest-fixture.ts";

describe("readManifest", () => {
  const temps: string[] = [];
  afterAll(async () => {
    await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
  });
  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "manifest-test-"));
    temps.push(dir);
    return dir;
  }

  /** The ManifestError readManifest throws for `path`. */
  async function failure(path: string): Promise<ManifestError> {
    const err = await readManifest(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ManifestError);
    return err as ManifestError;
  }

  it("reads a committed manifest back exactly", async () => {
    const path = join(await tempDir(), "farm-a.json");
    await writeFile(path, stringifyManifest(training()));
    expect(await readManifest(path)).toEqual(training());
  });

  it("names the file and the syntax problem for invalid JSON, keeping the cause", async () => {
    const path = join(await tempDir(), "broken.json");
    await writeFile(path, '{ "schema_version": 1, "dataset_id": "x", }\n');
    const err = await failure(path);
    expect(err.problems).toEqual([
      {
        file: path,
        path: "$",
        message: expect.stringMatching(/^is not valid JSON: /),
        fix: expect.stringContaining("fix the JSON syntax"),
      },
    ]);
    expect(err.cause).toBeInstanceOf(SyntaxError);
    expect(err.message).toMatch(
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: \\$: is not valid JSON`),
    );
  });

  it("refuses a repeated key, naming the file, its JSON path, both lines and the fix", async () => {
    const path = join(await tempDir(), "farm-a.json");
    // A reviewer reads the first base_uri; JSON.parse (and so the pipeline) keeps the second.
    await writeFile(
      path,
      stringifyManifest(training()).replace(
        '  "base_uri": "s3://mango-data/farm-a/2026-11",\n',
        '  "base_uri": "s3://mango-data/farm-a/2026-11",\n  "base_uri": "s3://elsewhere/unreviewed",\n',
      ),
    );
    const err = await failure(path);
    expect(err.problems).toEqual([
      {
        file: path,
        path: "$.base_uri",
        message:
          'repeats the key "base_uri" (line 6; first at line 5): JSON keeps only the last value, so a reviewer reading the first one sees something else than the pipeline uses',
        fix: 'keep one "base_uri" in that object and delete the other',
      },
    ]);
    expect(err.message).toBe(
      `${path}: $.base_uri: repeats the key "base_uri" (line 6; first at line 5): JSON keeps only the last value, so a reviewer reading the first one sees something else than the pipeline uses (fix: keep one "base_uri" in that object and delete the other)`,
    );
  });

  it("refuses a repeated key deep inside an image, by its index", async () => {
    const path = join(await tempDir(), "farm-a.json");
    const text = JSON.stringify(training()).replace(
      '"key":"maduro/3.jpg","label":"maduro"',
      '"key":"maduro/3.jpg","label":"verde","label":"maduro"',
    );
    await writeFile(path, text);
    const err = await failure(path);
    expect(err.problems.map((p) => [p.file, p.path, p.fix])).toEqual([
      [path, "$.images[2].label", 'keep one "label" in that object and delete the other'],
    ]);
  });

  it("names a missing file", async () => {
    const path = join(await tempDir(), "no-such-manifest.json");
    const err = await failure(path);
    expect(err.problems).toEqual([
      { file: path, path: "$", message: expect.stringContaining("ENOENT"), fix: "check the path" },
    ]);
  });

  it("names a path that cannot be read as a file", async () => {
    const path = join(await tempDir(), "a-folder.json");
    await mkdir(path);
    const err = await failure(path);
    expect(err.problems).toEqual([
      {
        file: path,
        path: "$",
        message: expect.stringMatching(/^cannot be read: .*EISDIR/),
        fix: "check the path",
      },
    ]);
  });

  it("throws every validation error with the file's path in one message", async () => {
    const path = join(await tempDir(), "farm-a.json");
    const m = training();
    m.images[0]!.label = "rojo";
    m.images[1]!.split = "eval";
    await writeFile(path, stringifyManifest(m));
    const err = await failure(path);
    expect(err.problems.map((p) => [p.file, p.path])).toEqual([
      [path, "$.images[0].label"],
      [path, "$.images[1].split"],
    ]);
    expect(err.message.split("\n")).toHaveLength(2);
    expect(err.message).toContain(`${path}: $.images[0].label: "rojo" is not in the label set`);
    expect(err.message).toContain("(fix: correct the label");
  });
});
