/**
 * Manifests that cannot be used, through `npm run validate`: each exits 1 with every
 * problem on a line of its own (file, JSON path, what is wrong, the fix), writes that reason
 * as quality.json's `error`, reads no image, and leaves the repository as it was. A key or
 * URI is quoted as JSON text, so no control character of a manifest reaches a terminal or a
 * CI log raw (an escape sequence, or a line that a runner would take as a command), and a
 * manifest that is a link, a FIFO or a folder is refused without being read.
 */
import { mkdir, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HAS_MKFIFO, makeFifo } from "../helpers/faults-files.ts";
import {
  PROJECT,
  qualityOf,
  useValidateWorld,
  type ValidateWorld,
} from "../helpers/faults-validate.ts";

const w = useValidateWorld();

const KEY_FIX = "(fix: give the object key relative to base_uri)";
const URI_FIX = '(fix: use "file:///absolute/folder" or "s3://bucket/prefix")';
const ROOTS_FIX =
  "(fix: keep the data under one of them, or add its folder to storage.file_roots in mlops.config.json in its own reviewed change)";

interface ManifestCase {
  name: string;
  /** The manifest: an object, raw text, or a file made at the path. */
  content: (w: ValidateWorld) => unknown;
  /** Makes the manifest file itself instead (a link, a FIFO, a folder). */
  make?: (path: string) => Promise<unknown>;
  /** The reason, without the leading "<file>: ". */
  reason: (w: ValidateWorld) => string;
  /** Text that must appear nowhere in the output (raw control characters, a file's content). */
  absent?: string[];
  needs?: "mkfifo";
}

/** The good batch with one more image under `key`. */
const withKey = (key: string) => (w: ValidateWorld) => ({
  ...w.good,
  images: [...w.good.images, { key, label: "verde", sha256: "a".repeat(64), split: "train" }],
});
const withBase = (base_uri: string) => (w: ValidateWorld) => ({ ...w.good, base_uri });

const CASES: ManifestCase[] = [
  {
    name: "a file:///dev base URI with key zero",
    content: (w) => ({
      ...withBase("file:///dev")(w),
      images: [{ ...w.good.images[0]!, key: "zero" }],
    }),
    reason: (w) =>
      `$.base_uri: cannot open "file:///dev" as a local folder store: /dev is outside the folders local stores may read (${w.repo}, ${PROJECT}, ${tmpdir()}) ${ROOTS_FIX}`,
  },
  {
    name: "a file:/// base URI that climbs out with ..",
    content: withBase(`file://${tmpdir()}/../etc`),
    reason: (w) =>
      `$.base_uri: cannot open "file://${tmpdir()}/../etc" as a local folder store: /etc is outside the folders local stores may read (${w.repo}, ${PROJECT}, ${tmpdir()}) ${ROOTS_FIX}`,
  },
  {
    name: "an https:// base URI",
    content: withBase("https://example.com/photos"),
    reason: () =>
      `$.base_uri: "https://example.com/photos" must start with file:/// or s3://<bucket> ${URI_FIX}`,
  },
  {
    name: "a file:/// base URI with a newline",
    content: withBase("file:///tmp/x\n::error::forged"),
    reason: () =>
      `$.base_uri: "file:///tmp/x\\n::error::forged" contains control characters ${URI_FIX}`,
    absent: ["\n::error::"],
  },
  {
    name: "a key with ..",
    content: withKey("../x.jpg"),
    reason: () =>
      `$.images[4].key: "../x.jpg" has an empty, '.' or '..' segment and so would point outside base_uri ${KEY_FIX}`,
  },
  {
    name: "an absolute key",
    content: withKey("/etc/passwd"),
    reason: () =>
      `$.images[4].key: "/etc/passwd" is absolute; keys are relative to base_uri ${KEY_FIX}`,
  },
  {
    name: "a backslash key",
    content: withKey("bad\\x.jpg"),
    reason: () =>
      `$.images[4].key: "bad\\\\x.jpg" contains a backslash; use '/' between folders ${KEY_FIX}`,
  },
  {
    name: "a key with a terminal escape sequence",
    content: withKey("bad/x\u001b[2J.jpg"),
    reason: () => `$.images[4].key: "bad/x\\u001b[2J.jpg" contains control characters ${KEY_FIX}`,
    absent: ["\u001b"],
  },
  {
    name: "a key with a newline and a runner command",
    content: withKey("bad/x\n::error::forged.jpg"),
    reason: () =>
      `$.images[4].key: "bad/x\\n::error::forged.jpg" contains control characters ${KEY_FIX}`,
    absent: ["\n::error::"],
  },
  {
    name: "a key with an 8-bit control character (CSI)",
    content: withKey("bad/x\u009b2J.jpg"),
    reason: () => `$.images[4].key: "bad/x\\u009b2J.jpg" contains control characters ${KEY_FIX}`,
    absent: ["\u009b"],
  },
  {
    name: "the same key twice",
    content: (w) => ({ ...w.good, images: [...w.good.images, w.good.images[1]!] }),
    reason: (w) =>
      `$.images[4].key: "${w.good.images[1]!.key}" is listed twice (also at $.images[1]) (fix: remove the repeated entry)`,
  },
  {
    name: "a duplicate JSON key (base_uri twice)",
    content: (w) =>
      JSON.stringify(w.good, null, 2).replace(
        '"base_uri"',
        '"base_uri": "file:///elsewhere",\n  "base_uri"',
      ),
    reason: () =>
      '$.base_uri: repeats the key "base_uri" (line 7; first at line 6): JSON keeps only the last value, so a reviewer reading the first one sees something else than the pipeline uses (fix: keep one "base_uri" in that object and delete the other)',
  },
  {
    name: "invalid JSON",
    content: () => '{"schema_version": 1,',
    reason: () =>
      "$: is not valid JSON: Expected double-quoted property name in JSON at position 21 (fix: fix the JSON syntax (a linter or `node -e 'JSON.parse(...)'` shows where))",
  },
  {
    name: "an unknown label",
    content: (w) => ({
      ...w.good,
      images: w.good.images.map((i, n) => (n === 1 ? { ...i, label: "podrido" } : i)),
    }),
    reason: () =>
      '$.images[1].label: "podrido" is not in the label set [verde, maduro] (fix: correct the label, or add the class to $.labels if it is really new)',
  },
  {
    name: "a label that is not a class of the model",
    content: (w) => ({ ...w.good, labels: [...w.good.labels, "podrido"] }),
    reason: () =>
      '$.labels: "podrido" is not a class of this model [verde, pinton, maduro, sobremaduro, hoja] (fix: correct the label, or add the class to mlops.config.json labels in its own reviewed change)',
  },
  {
    name: "an empty images list",
    content: (w) => ({ ...w.good, images: [] }),
    reason: () =>
      "$.images: Too small: expected array to have >=1 items (fix: list at least one image as {key, label, sha256, split})",
  },
  {
    name: "a sha256 that is a path",
    content: (w) => ({
      ...w.good,
      images: w.good.images.map((i, n) => (n === 0 ? { ...i, sha256: "../../../etc/passwd" } : i)),
    }),
    reason: () =>
      "$.images[0].sha256: must be 64 lowercase hex characters (sha256 of the file's bytes) (fix: compute it with `sha256sum FILE` and paste the 64 hex characters)",
  },
  {
    name: "a manifest that is a symlink to /etc/passwd",
    content: () => undefined,
    make: (path) => symlink("/etc/passwd", path),
    reason: () =>
      "$: is a symbolic link; a manifest is read only as the file itself, never through a link (fix: commit the manifest file itself, not a link to it)",
    absent: ["root:"],
  },
  {
    name: "a manifest that is a FIFO",
    needs: "mkfifo",
    content: () => undefined,
    make: async (path) => makeFifo(path),
    reason: () =>
      "$: is not a regular file but a FIFO (named pipe) (fix: give the path of the manifest file itself)",
  },
  {
    name: "a manifest that is a folder",
    content: () => undefined,
    make: (path) => mkdir(path),
    reason: () =>
      "$: cannot be read: EISDIR: illegal operation on a directory, read (fix: check the path)",
  },
];

describe("unusable manifests through npm run validate", () => {
  const runnable = CASES.filter((c) => !c.needs || HAS_MKFIFO);
  it.each(runnable.map((c) => [c.name, c] as const))(
    "%s: exit 1 with the problem, its JSON path and the fix",
    async (name, c) => {
      const before = await w.repoState();
      const slug = name.replace(/\W+/g, "-");
      const path = c.make
        ? join(w.dir, "manifests", `${slug}.json`)
        : await w.manifest(slug, c.content(w));
      if (c.make) {
        await mkdir(join(w.dir, "manifests"), { recursive: true });
        await c.make(path);
      }
      const out = w.out(slug);
      const run = await w.validate(path, out, { limitMs: 20_000 });

      const reason = `${path}: ${c.reason(w)}`;
      expect(run.code, run.out).toBe(1);
      expect(run.out).toContain(`the manifest cannot be used:\n${reason}\n`);
      expect(run.out).not.toMatch(/checking \d+ images/);
      expect(await qualityOf(out)).toMatchObject({
        passed: false,
        quality_score: 0,
        error: reason,
      });
      for (const text of c.absent ?? []) expect(run.out).not.toContain(text);
      expect(await w.repoState()).toBe(before);
    },
    40_000,
  );
  if (!HAS_MKFIFO)
    for (const c of CASES.filter((c) => c.needs === "mkfifo"))
      it.skip(`${c.name} (skipped: mkfifo is not installed on this machine)`, () => {});
});
