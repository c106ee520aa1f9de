/**
 * A good training manifest for the manifest tests to break: two classes, train and val
 * images of each, and the path it is reported under.
 */
import type { Manifest } from "../../lib/manifest.ts";

export const FILE = "data-manifests/farm-a-2026-11.json";
export const hash = (n: number): string => n.toString(16).padStart(64, "0");

/** A fresh copy of the good training manifest. */
export function training(): Manifest {
  return {
    schema_version: 1,
    dataset_id: "farm-a-2026-11",
    kind: "training",
    base_uri: "s3://mango-data/farm-a/2026-11",
    labels: ["verde", "maduro"],
    images: [
      { key: "verde/1.jpg", label: "verde", sha256: hash(1), split: "train" },
      { key: "verde/2.jpg", label: "verde", sha256: hash(2), split: "val" },
      { key: "maduro/3.jpg", label: "maduro", sha256: hash(3), split: "train" },
      { key: "maduro/4.jpg", label: "maduro", sha256: hash(4), split: "val" },
    ],
  };
}
