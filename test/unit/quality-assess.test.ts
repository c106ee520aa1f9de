/**
 * assessImages with a loader that fails: storage errors and unknown labels become findings
 * of their images, the sha256 is checked even when the loader does not, and nothing throws.
 */
import { describe, expect, it } from "vitest";
import { assessImages } from "../../lib/quality/index.ts";
import {
  ChecksumMismatchError,
  InvalidKeyError,
  ObjectNotFoundError,
} from "../../lib/storage/errors.ts";
import type { Manifest } from "../../lib/manifest.ts";

const manifest = (keys: string[]): Manifest => ({
  schema_version: 1,
  dataset_id: "t",
  kind: "training",
  base_uri: "file:///nowhere",
  labels: ["ripe", "unripe"],
  images: keys.map((key, i) => ({
    key,
    label: i === 3 ? "rotten" : "ripe",
    sha256: "0".repeat(64),
    split: "train",
  })),
});

describe("assessImages with a failing loader", () => {
  it("turns data errors and unknown labels into findings", async () => {
    const errors: Record<string, Error> = {
      "gone.jpg": new ObjectNotFoundError("file:///nowhere/gone.jpg"),
      "bad.jpg": new ChecksumMismatchError(
        "file:///nowhere/bad.jpg",
        "0".repeat(64),
        "1".repeat(64),
      ),
      "../evil.jpg": new InvalidKeyError("../evil.jpg", "has a '..' segment"),
      "label.jpg": new ObjectNotFoundError("file:///nowhere/label.jpg"),
    };
    const report = await assessImages({
      manifest: manifest(Object.keys(errors)),
      load: async (img) => {
        throw errors[img.key];
      },
    });
    const by = Object.fromEntries(
      report.images.map((i) => [
        i.key,
        i.findings
          .map((f) => f.check)
          .sort()
          .join("+"),
      ]),
    );
    expect(by).toEqual({
      "gone.jpg": "missing",
      "bad.jpg": "checksum",
      "../evil.jpg": "missing",
      "label.jpg": "label+missing",
    });
    expect(report.quality_score).toBe(0);
    expect(report.per_class).toMatchObject({
      ripe: { images: 3, passed: 0, failed: 3, share: 0.75 },
      rotten: { images: 1, failed: 1, failed_by_check: { label: 1 } },
    });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it("stops with a run error naming the store when the store fails, never a finding", async () => {
    await expect(
      assessImages({
        manifest: manifest(["a.jpg", "b.jpg"]),
        load: async () => {
          throw new Error("socket hang up");
        },
      }),
    ).rejects.toThrow(/^fetch file:\/\/\/nowhere\/\S+ failed: socket hang up\. .*retry$/);
  });

  it("checks the sha256 itself when the loader does not", async () => {
    const report = await assessImages({
      manifest: manifest(["a.jpg"]),
      load: async () => Buffer.from("not the promised bytes"),
    });
    expect(report.images[0]!.findings.map((f) => f.check)).toEqual(["checksum", "decode"]);
  });
});
