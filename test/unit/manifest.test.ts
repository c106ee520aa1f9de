/**
 * Dataset manifests as contributors meet them: every mistake is reported with the file,
 * the exact JSON path and a fix, and a good manifest passes (with warnings where it is
 * merely doubtful). Reading a manifest file is manifest-read.test.ts.
 */
import { describe, expect, it } from "vitest";
import { type ManifestProblem, validateManifest } from "../../lib/manifest.ts";
import { FILE, hash, training } from "../helpers/manifest-fixture.ts";

/** Validates a changed copy of the good manifest and returns its errors. */
function errorsOf(change: (m: Record<string, any>) => void): ManifestProblem[] {
  const m = structuredClone(training()) as Record<string, any>;
  change(m);
  const result = validateManifest(m, FILE);
  expect(result.manifest).toBeUndefined();
  return result.errors;
}

/** The single error at `path`, which must name the file. */
function errorAt(errors: ManifestProblem[], path: string): ManifestProblem {
  const at = errors.filter((e) => e.path === path);
  expect(at, `errors: ${JSON.stringify(errors)}`).toHaveLength(1);
  expect(at[0]!.file).toBe(FILE);
  return at[0]!;
}

describe("validateManifest", () => {
  it("accepts a good manifest with no errors or warnings", () => {
    expect(validateManifest(training(), FILE)).toEqual({
      manifest: training(),
      errors: [],
      warnings: [],
    });
  });

  it("accepts a manifest without val images, warning that early stopping borrows from train", () => {
    const m = training();
    m.images = m.images.map((img) => ({ ...img, split: "train" as const }));
    const { manifest, errors, warnings } = validateManifest(m, FILE);
    expect(errors).toEqual([]);
    expect(manifest).toEqual(m);
    expect(warnings).toEqual([
      {
        file: FILE,
        path: "$.images",
        message: expect.stringContaining('no image with split "val"'),
        fix: 'mark about 15% of images "val"',
      },
    ]);
  });

  it("names a missing top-level field and how to fill it", () => {
    const e = errorAt(
      errorsOf((m) => delete m.dataset_id),
      "$.dataset_id",
    );
    expect(e.fix).toBe('give a short id such as "farm-a-2026-11"');
  });

  it("names a missing field of one image by its index", () => {
    const e = errorAt(
      errorsOf((m) => delete m.images[2].sha256),
      "$.images[2].sha256",
    );
    expect(e.fix).toContain("sha256sum");
  });

  it("refuses a sha256 that is not 64 lowercase hex characters", () => {
    const errors = errorsOf((m) => {
      m.images[1].sha256 = hash(0xabcdef).toUpperCase();
      m.images[3].sha256 = "abc123";
    });
    expect(errors.map((e) => e.path)).toEqual(["$.images[1].sha256", "$.images[3].sha256"]);
    const e = errorAt(errors, "$.images[1].sha256");
    expect(e.message).toContain("64 lowercase hex characters");
    expect(e.fix).toBe("compute it with `sha256sum FILE` and paste the 64 hex characters");
  });

  it("refuses a label that is not in the manifest's label set", () => {
    const e = errorAt(
      errorsOf((m) => (m.images[3].label = "maduro2")),
      "$.images[3].label",
    );
    expect(e.message).toBe('"maduro2" is not in the label set [verde, maduro]');
    expect(e.fix).toBe("correct the label, or add the class to $.labels if it is really new");
  });

  it("refuses a label set that lists a class twice", () => {
    const e = errorAt(
      errorsOf((m) => m.labels.push("verde")),
      "$.labels",
    );
    expect(e.message).toContain("more than once");
    expect(e.fix).toBe("list every class name once, lowercase");
  });

  it("refuses a key that climbs out of base_uri with '..'", () => {
    const e = errorAt(
      errorsOf((m) => (m.images[1].key = "verde/../../other-farm/2.jpg")),
      "$.images[1].key",
    );
    expect(e.message).toContain("outside base_uri");
    expect(e.fix).toBe("give the object key relative to base_uri");
  });

  it("refuses an absolute key", () => {
    const e = errorAt(
      errorsOf((m) => (m.images[0].key = "/etc/passwd")),
      "$.images[0].key",
    );
    expect(e.message).toBe('"/etc/passwd" is absolute; keys are relative to base_uri');
    expect(e.fix).toBe("give the object key relative to base_uri");
  });

  it("refuses keys with backslashes or empty segments", () => {
    const errors = errorsOf((m) => {
      m.images[0].key = "verde\\1.jpg";
      m.images[2].key = "maduro//3.jpg";
    });
    expect(errorAt(errors, "$.images[0].key").message).toContain("backslash");
    expect(errorAt(errors, "$.images[2].key").message).toContain("empty");
  });

  it.each([
    ["file://relative/folder", "file URIs must be absolute: file:///path/to/folder"],
    ["http://example.com/photos", "must start with file:/// or s3://<bucket>"],
    ["/srv/photos", "must start with file:/// or s3://<bucket>"],
    [
      "s3://Mango_Data/photos",
      "names no valid bucket: 3-63 lowercase letters, digits, '.' and '-' after s3://",
    ],
    [
      "s3://mango-data/farm-a/../farm-b",
      "has a prefix that has an empty, '.' or '..' segment and so would point outside base_uri",
    ],
  ])("refuses base_uri %s", (uri, why) => {
    const e = errorAt(
      errorsOf((m) => (m.base_uri = uri)),
      "$.base_uri",
    );
    expect(e.message).toBe(`"${uri}" ${why}`);
    expect(e.fix).toBe('use "file:///absolute/folder" or "s3://bucket/prefix"');
  });

  it.each(["file:///srv/mango/photos", "s3://mango-data", "s3://mango-data/farm-a/2026-11"])(
    "accepts base_uri %s",
    (uri) => {
      expect(validateManifest({ ...training(), base_uri: uri }, FILE).errors).toEqual([]);
    },
  );

  it("refuses a key listed twice, pointing at the first listing", () => {
    const e = errorAt(
      errorsOf((m) => m.images.push({ ...m.images[0], sha256: hash(9) })),
      "$.images[4].key",
    );
    expect(e.message).toBe('"verde/1.jpg" is listed twice (also at $.images[0])');
    expect(e.fix).toBe("remove the repeated entry");
  });

  it("refuses an eval image in a training manifest", () => {
    const e = errorAt(
      errorsOf((m) => (m.images[1].split = "eval")),
      "$.images[1].split",
    );
    expect(e.message).toBe('"eval" is not allowed in a training manifest');
    expect(e.fix).toBe(
      'use "train" or "val" in a training manifest, "eval" in an evaluation manifest',
    );
  });

  it("refuses a train image in the evaluation manifest", () => {
    const errors = errorsOf((m) => {
      m.kind = "evaluation";
      for (const img of m.images) img.split = "eval";
      m.images[2].split = "train";
    });
    expect(errorAt(errors, "$.images[2].split").message).toMatch(
      /^"train" is not allowed in an? evaluation manifest$/,
    );
  });

  it("refuses a training manifest with no train image at all", () => {
    const e = errorAt(
      errorsOf((m) => {
        for (const img of m.images) img.split = "val";
      }),
      "$.images",
    );
    expect(e.message).toContain('no image with split "train"');
  });

  it("refuses another schema_version and says which one to use", () => {
    const e = errorAt(
      errorsOf((m) => (m.schema_version = 2)),
      "$.schema_version",
    );
    expect(e.fix).toBe('set "schema_version": 1');
  });

  it("reports every rule broken, not just the first", () => {
    const errors = errorsOf((m) => {
      m.images[0].key = "../1.jpg";
      m.images[1].label = "rojo";
      m.images[2].split = "eval";
    });
    expect(errors.map((e) => e.path)).toEqual([
      "$.images[0].key",
      "$.images[1].label",
      "$.images[2].split",
    ]);
  });

  it("refuses JSON that is not an object, with a pointer to the format", () => {
    const { errors } = validateManifest([], FILE);
    expect(errors).toEqual([
      {
        file: FILE,
        path: "$",
        message: expect.any(String),
        fix: "see data-manifests/README.md for the format",
      },
    ]);
  });
});
