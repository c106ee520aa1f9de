/** `npm run manifest`: a manifest from a folder of labelled photos, split by seed and class, copies kept together. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateManifest } from "../../lib/manifest.ts";
import { parseManifestArgs, runManifest } from "../../cli/manifest.ts";
import { encodeJpeg, photoRng, renderPhoto } from "../../synth/draw.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mlops-manifest-"));
  for (const label of ["verde", "maduro"] as const) {
    await mkdir(join(dir, "photos", label), { recursive: true });
    for (let i = 0; i < 20; i++)
      await writeFile(
        join(dir, "photos", label, `${i}.jpg`),
        await encodeJpeg(renderPhoto(label, photoRng(3, label, i), 128)),
      );
  }
  // A mirrored copy of one photo: it must land in the split of its source.
  await writeFile(
    join(dir, "photos", "verde", "0-mirrored.jpg"),
    await sharp(await readFile(join(dir, "photos", "verde", "0.jpg")))
      .flop()
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe("npm run manifest", () => {
  it("labels from folders, sha256 from bytes, a seeded stratified split with copies in one split", async () => {
    const out = join(dir, "data-manifests", "farm.json");
    const lines: string[] = [];
    const args = parseManifestArgs([
      "--from",
      join(dir, "photos"),
      "--base-uri",
      "s3://mango/farm",
      "--out",
      out,
      "--val",
      "0.25",
      "--seed",
      "5",
    ]);
    expect(await runManifest(args, (m) => lines.push(m))).toBe(0);
    const manifest = JSON.parse(await readFile(out, "utf8"));
    expect(validateManifest(manifest).errors).toEqual([]);
    expect(manifest).toMatchObject({
      dataset_id: "farm",
      base_uri: "s3://mango/farm/",
      labels: ["maduro", "verde"],
    });
    expect(manifest.images).toHaveLength(41);
    const val = (label: string) =>
      manifest.images.filter(
        (i: { label: string; split: string }) => i.label === label && i.split === "val",
      ).length;
    expect(val("maduro")).toBe(5);
    expect(val("verde")).toBeGreaterThanOrEqual(5);
    const splitOf = (key: string) =>
      manifest.images.find((i: { key: string }) => i.key === key).split;
    expect(splitOf("verde/0-mirrored.jpg")).toBe(splitOf("verde/0.jpg"));
    expect(lines.at(-1)).toContain("1 group(s) of copies kept in one split");
    // The same seed gives the same manifest; another seed another split.
    const again = join(dir, "again.json");
    await runManifest({ ...args, out: again, id: "farm" }, () => {});
    expect(await readFile(again, "utf8")).toBe(await readFile(out, "utf8"));
    await runManifest({ ...args, out: again, seed: 6, id: "farm" }, () => {});
    expect(await readFile(again, "utf8")).not.toBe(await readFile(out, "utf8"));
  });

  it("refuses a folder with files that are not images, naming them, and writes nothing", async () => {
    await writeFile(join(dir, "photos", "maduro", "notes.txt"), "picked on Monday");
    await writeFile(join(dir, "photos", "maduro", "broken.jpg"), "not a jpeg");
    const out = join(dir, "refused.json");
    const lines: string[] = [];
    expect(
      await runManifest(parseManifestArgs(["--from", join(dir, "photos"), "--out", out]), (m) =>
        lines.push(m),
      ),
    ).toBe(1);
    const text = lines.join("\n");
    expect(text).toContain("maduro/notes.txt: not an image");
    expect(text).toContain(
      "maduro/broken.jpg: named like an image but its content is not a JPEG, PNG or WebP image",
    );
    await expect(readFile(out)).rejects.toThrow();
  });

  it("names a bad flag", () => {
    expect(() => parseManifestArgs(["--from", "x"])).toThrow(/--from and --out are required/);
    expect(() => parseManifestArgs(["--from", "x", "--out", "y", "--val", "2"])).toThrow(
      /--val takes the share/,
    );
    expect(() => parseManifestArgs(["--from", "x", "--out", "y", "--colour", "red"])).toThrow(
      /--colour/,
    );
  });
});
