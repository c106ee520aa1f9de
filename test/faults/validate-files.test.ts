/**
 * Hostile image files through `npm run validate`: each is a finding of that one image,
 * never a hang, a crash or a read outside the bucket. The batch is four good photos plus the
 * hostile one; the CLI exits 2 (below the gate) naming the file, what is wrong and the fix,
 * quality.json holds exactly that finding, the good photos none, nothing a link points at
 * (or the real hash of a file) appears in anything the run said or wrote, and the
 * repository is unchanged.
 */
import { createHash } from "node:crypto";
import { realpathSync, statSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import type { Server } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ManifestImage } from "../../lib/manifest.ts";
import {
  HAS_MKFIFO,
  listeningSocket,
  makeFifo,
  pngClaiming,
  sparseFile,
} from "../helpers/faults-files.ts";
import {
  everythingSaid,
  qualityOf,
  useValidateWorld,
  type ValidateWorld,
} from "../helpers/faults-validate.ts";

const w = useValidateWorld();
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
});

const sha = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");
const NOT_READ = "a".repeat(64);
const entry = (key: string, sha256 = NOT_READ): ManifestImage => ({
  key,
  label: "verde",
  sha256,
  split: "train",
});
const bucketUri = (key: string) => `file://${w.bucket}/${key}`;
const FETCH_FIX = "point the key at the image file itself, or remove it from the manifest";
const KEY_FIX =
  "put the image file itself under base_uri (no link out of it, no '..' or leading '/' in the key), or remove it from the manifest";

interface FileCase {
  name: string;
  /** Puts the hostile file in the bucket; returns the manifest's images and the bad key. */
  plant: (w: ValidateWorld) => Promise<{ images: ManifestImage[]; key: string }>;
  check: string;
  message: (w: ValidateWorld) => string | RegExp;
  /** The fix the console line names (checked with an exact message). */
  fix?: string;
  /** Text that must appear nowhere in what the run said or wrote. */
  secret?: (w: ValidateWorld) => Promise<string>;
  needs?: "mkfifo";
}

/** The good batch plus one entry for a file planted at `key` by `make`. */
const plus =
  (
    key: string,
    make: (path: string) => Promise<unknown>,
    sha256?: (path: string) => Promise<string>,
  ) =>
  async (w: ValidateWorld) => {
    const path = join(w.bucket, key);
    await mkdir(join(path, ".."), { recursive: true });
    await make(path);
    return { images: [...w.good.images, entry(key, sha256 ? await sha256(path) : NOT_READ)], key };
  };
const hashOf = async (path: string) => sha(await readFile(path));

const CASES: FileCase[] = [
  {
    name: "a FIFO as an image",
    needs: "mkfifo",
    plant: plus("bad/fifo.jpg", async (p) => makeFifo(p)),
    check: "missing",
    message: () =>
      `cannot be fetched: not a regular file: ${bucketUri("bad/fifo.jpg")} is a FIFO (named pipe)`,
    fix: FETCH_FIX,
  },
  {
    name: "a directory as an image",
    plant: plus("bad/folder.jpg", (p) => mkdir(p)),
    check: "missing",
    message: () =>
      `cannot be fetched: not a regular file: ${bucketUri("bad/folder.jpg")} is a folder`,
    fix: FETCH_FIX,
  },
  {
    name: "a UNIX socket as an image",
    plant: plus("bad/socket.jpg", async (p) => servers.push(await listeningSocket(p))),
    check: "missing",
    message: () =>
      `cannot be fetched: not a regular file: ${bucketUri("bad/socket.jpg")} is a socket`,
    fix: FETCH_FIX,
  },
  {
    name: "a symlink to /etc/passwd",
    plant: plus("bad/passwd.jpg", (p) => symlink("/etc/passwd", p)),
    check: "missing",
    message: (w) =>
      `cannot be fetched: invalid object key "bad/passwd.jpg": resolves to /etc/passwd, outside the store folder ${realpathSync(w.bucket)} (a symlink?)`,
    fix: KEY_FIX,
    secret: async () => (await readFile("/etc/passwd", "utf8")).split("\n")[0]!,
  },
  {
    name: "a symlink to /dev/zero",
    plant: plus("bad/zero.jpg", (p) => symlink("/dev/zero", p)),
    check: "missing",
    message: (w) =>
      `cannot be fetched: invalid object key "bad/zero.jpg": resolves to /dev/zero, outside the store folder ${realpathSync(w.bucket)} (a symlink?)`,
    fix: KEY_FIX,
  },
  {
    name: "a symlink loop",
    plant: plus("bad/loop.jpg", (p) => symlink("loop.jpg", p)),
    check: "missing",
    message: () => 'cannot be fetched: invalid object key "bad/loop.jpg": is a symlink loop',
    fix: KEY_FIX,
  },
  {
    name: "a sparse file over the 64 MiB size cap",
    plant: plus("bad/huge.jpg", (p) => sparseFile(p, 65 * 1024 * 1024)),
    check: "missing",
    message: () =>
      `cannot be fetched: ${bucketUri("bad/huge.jpg")} is 68157440 bytes, over the 67108864-byte limit of objects the store serves`,
    fix: "upload the photo at a usual size (a few MB), or remove it from the manifest",
  },
  {
    name: "a key missing from a reachable store",
    plant: async (w) => ({
      images: [...w.good.images, entry("bad/nope.jpg")],
      key: "bad/nope.jpg",
    }),
    check: "missing",
    message: () => `is not in the store (${bucketUri("bad/nope.jpg")})`,
    fix: "upload the file under base_uri, or remove it from the manifest",
  },
  {
    name: "a wrong sha256 (the real hash is never shown)",
    plant: async (w) => ({
      images: w.good.images.map((i, n) => (n === 0 ? { ...i, sha256: "b".repeat(64) } : i)),
      key: w.good.images[0]!.key,
    }),
    check: "checksum",
    message: (w) =>
      `has other bytes than the manifest promises (sha256 mismatch for ${bucketUri(w.good.images[0]!.key)}: the manifest says ${"b".repeat(64)}; its ${statSync(join(w.bucket, w.good.images[0]!.key)).size} bytes do not hash to that)`,
    fix: "re-upload the original file, or update sha256 in the manifest if the file was meant to change",
    secret: async (w) => w.good.images[0]!.sha256,
  },
  {
    name: "a text file as an image",
    plant: plus("bad/notes.jpg", (p) => writeFile(p, "hello, not an image\n"), hashOf),
    check: "decode",
    message: () =>
      'is not an image in an accepted format (JPEG, PNG, WEBP): it starts with the text "hello, not an im"',
    fix: "upload the photo itself as a JPEG, PNG or WebP file",
  },
  {
    name: "a truncated JPEG",
    plant: plus(
      "bad/cut.jpg",
      async (p) =>
        writeFile(p, (await readFile(join(w.bucket, w.good.images[0]!.key))).subarray(0, 600)),
      hashOf,
    ),
    check: "decode",
    // libvips words a truncated JPEG's error differently from run to run.
    message: () => /^cannot be decoded \(.+\): the file is truncated or corrupt$/,
    fix: "re-upload the original file: this copy is truncated or damaged",
  },
  {
    name: "a PNG whose header claims 60000x60000 pixels",
    plant: plus("bad/bomb.png", (p) => writeFile(p, pngClaiming(60_000, 60_000)), hashOf),
    check: "dimensions",
    message: () =>
      /^declares 60000x60000 = 3600\.0 MP, above the \d+\.\d MP limit; refused without decoding$/,
  },
];

describe("hostile image files through npm run validate", () => {
  const runnable = CASES.filter((c) => !c.needs || HAS_MKFIFO);
  it.each(runnable.map((c) => [c.name, c] as const))(
    "%s: one finding of that image, exit 2, nothing outside the bucket read",
    async (name, c) => {
      const before = await w.repoState();
      const { images, key } = await c.plant(w);
      const manifest = await w.manifest(name.replace(/\W+/g, "-"), { ...w.good, images });
      const out = w.out(name.replace(/\W+/g, "-"));
      const run = await w.validate(manifest, out, { limitMs: 20_000 });

      expect(run.code, run.out).toBe(2);
      expect(run.out).toMatch(
        new RegExp(
          `quality_score \\d\\.\\d/10 \\(threshold 7\\): FAIL; 1 of ${images.length} images refused`,
        ),
      );
      const q = await qualityOf(out);
      const bad = q!.images.find((i: { key: string }) => i.key === key);
      const errors = bad.findings.filter((f: { severity: string }) => f.severity === "error");
      expect(errors).toHaveLength(1);
      expect(errors[0].check).toBe(c.check);
      const message = c.message(w);
      if (typeof message === "string") {
        expect(errors[0].message).toBe(message);
        expect(run.out).toContain(`- ${key} (verde): ${c.check}: ${message}. Fix: ${c.fix}.`);
      } else expect(errors[0].message).toMatch(message);
      for (const img of q!.images.filter((i: { key: string }) => i.key !== key))
        expect(img.findings.filter((f: { severity: string }) => f.severity === "error")).toEqual(
          [],
        );
      if (c.secret) expect(await everythingSaid(run, out)).not.toContain(await c.secret(w));
      expect(await w.repoState()).toBe(before);
    },
    40_000,
  );
  if (!HAS_MKFIFO)
    for (const c of CASES.filter((c) => c.needs === "mkfifo"))
      it.skip(`${c.name} (skipped: mkfifo is not installed on this machine)`, () => {});
});
