/**
 * The whole data gate (runDataGate) on files in a local folder store: bad inputs are
 * findings and never crashes, and the synthetic bad batch fails image by image for the
 * right reason. The VLM's part is validate-gate-vlm.test.ts.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { Manifest, ManifestImage } from "../../lib/manifest.ts";
import { runDataGate, sampleOfBatch } from "../../lib/quality/index.ts";
import { synthesizeBadBatch } from "../../synth/bad-batch.ts";
import { useDataGateWorld } from "../helpers/data-gate-world.ts";

const w = useDataGateWorld();
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("runDataGate", () => {
  it("passes a good batch, writing quality.json, the report and a sample contact sheet, and says the VLM was not consulted", async () => {
    const r = await runDataGate(w.gateInput(w.good, "good"));
    expect(r.passed).toBe(true);
    expect(r.report.quality_score).toBe(10);
    const json = JSON.parse(await readFile(r.paths.json, "utf8"));
    expect(json).toMatchObject({
      quality_score: 10,
      passed: true,
      breakdown: { deterministic: 10, vlm: { consulted: false } },
    });
    expect(json.images).toHaveLength(15);
    const md = await readFile(r.paths.markdown, "utf8");
    expect(md).toContain("VLM not consulted: not configured");
    // Nothing flagged: the sheet shows a sample, every label before any label twice.
    expect(md).toContain(
      "Nothing flagged; a sample of the batch: [contact sheet](contact-sheet.jpg)",
    );
    const sheet = await sharp(r.paths.contactSheet!).metadata();
    expect(sheet.format).toBe("jpeg");
    const sample = sampleOfBatch(r.report, 12);
    expect(sample).toHaveLength(12);
    const labels = new Set(w.good.images.map((i) => i.label));
    expect(new Set(sample.slice(0, labels.size).map((i) => i.label))).toEqual(labels);
  });

  it("turns every kind of bad input into a finding of its image, and draws the contact sheet", async () => {
    const bucket = join(w.dir, "bucket");
    // Sources outside the batch's first five images, one per derived file, so no copy is a duplicate.
    const photo = async (n: number) => readFile(join(bucket, w.good.images[n]!.key));
    const files: Record<string, Buffer> = {
      "bad/zero.jpg": Buffer.alloc(0),
      "bad/truncated.jpg": (await photo(10)).subarray(
        0,
        Math.floor((await photo(10)).length * 0.4),
      ),
      "bad/alpha.png": await sharp(await photo(11))
        .ensureAlpha(1)
        .png()
        .toBuffer(),
      "bad/cmyk.jpg": await sharp(await photo(12))
        .toColourspace("cmyk")
        .jpeg()
        .toBuffer(),
      "bad/text.jpg": Buffer.from("<html>404 Not Found</html>\n"),
      "bad/other.jpg": await photo(13),
    };
    // A JPEG whose frame header claims 20000x20000: refused from the header.
    const bomb = Buffer.from(
      await sharp(await photo(14))
        .resize(64, 64)
        .jpeg()
        .toBuffer(),
    );
    for (let i = 2; i < bomb.length - 9; i++)
      if (bomb[i] === 0xff && bomb[i + 1] === 0xc0) {
        bomb.writeUInt16BE(20000, i + 5);
        bomb.writeUInt16BE(20000, i + 7);
        break;
      }
    files["bad/bomb.jpg"] = bomb;
    await mkdir(join(bucket, "bad"), { recursive: true });
    for (const [key, bytes] of Object.entries(files)) await writeFile(join(bucket, key), bytes);
    const entry = (key: string, sum = sha(files[key]!)): ManifestImage => ({
      key,
      label: "maduro",
      sha256: sum,
      split: "train",
    });
    const manifest: Manifest = {
      ...w.good,
      dataset_id: "bad-inputs",
      images: [
        ...w.good.images.slice(0, 5),
        ...Object.keys(files)
          .filter((k) => k !== "bad/other.jpg")
          .map((k) => entry(k)),
        entry("bad/other.jpg", "f".repeat(64)), // a wrong checksum
        entry("../outside.jpg", "1".repeat(64)), // a key with '..' (readManifest refuses it; the store must too)
        entry("bad/missing.jpg", "2".repeat(64)),
      ],
    };

    const r = await runDataGate(w.gateInput(manifest, "bad-inputs"));
    const errors = (key: string) =>
      r.report.images
        .find((i) => i.key === key)!
        .findings.filter((f) => f.severity === "error")
        .map((f) => f.check);
    const warnings = (key: string) =>
      r.report.images
        .find((i) => i.key === key)!
        .findings.filter((f) => f.severity === "warning")
        .map((f) => f.check);
    expect(errors("bad/zero.jpg")).toEqual(["decode"]);
    expect(errors("bad/truncated.jpg")).toEqual(["decode"]);
    expect(errors("bad/text.jpg")).toEqual(["decode"]);
    expect(errors("bad/bomb.jpg")).toEqual(["dimensions"]);
    expect(errors("../outside.jpg")).toEqual(["missing"]);
    expect(errors("bad/missing.jpg")).toEqual(["missing"]);
    expect(errors("bad/other.jpg")).toEqual(["checksum"]);
    expect(errors("bad/alpha.png")).toEqual([]);
    expect(warnings("bad/alpha.png")).toContain("decode");
    expect(errors("bad/cmyk.jpg")).toEqual([]);
    expect(warnings("bad/cmyk.jpg")).toContain("decode");
    expect(r.passed).toBe(false);
    expect(r.failure_analysis).toContain("bad/zero.jpg");
    expect(r.paths.contactSheet).not.toBeNull();
    const sheet = await sharp(r.paths.contactSheet!).metadata();
    expect(sheet.format).toBe("jpeg");
    expect(sheet.width).toBeGreaterThan(300);
  });

  it("fails the synthetic bad batch, each image for the reason it was broken", async () => {
    const bad = await synthesizeBadBatch({
      outDir: join(w.dir, "bucket"),
      prefix: "badbatch",
      datasetId: "bad",
      seed: 5,
      count: 20,
    });
    const r = await runDataGate(w.gateInput(bad.manifest, "bad-batch"));
    expect(r.passed).toBe(false);
    const expected: Record<string, string> = {
      blurred: "blur",
      dark: "exposure",
      overexposed: "exposure",
      truncated: "decode",
      wrong_checksum: "checksum",
      duplicate: "duplicate",
      low_information: "low_information",
    };
    const wrong = r.report.images.flatMap((img) => {
      const kind = bad.defects[img.key]!;
      const errs = img.findings.filter((f) => f.severity === "error").map((f) => f.check);
      const ok = kind === "ok" ? errs.length === 0 : errs.includes(expected[kind] as never);
      return ok ? [] : [`${img.key} (${kind}): ${errs.join(",") || "no error"}`];
    });
    expect(wrong).toEqual([]);
  });
});
