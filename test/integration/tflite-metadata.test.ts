import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { ByteBuffer } from "flatbuffers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describePreprocessing } from "../../worker/images.ts";
import { openTflite } from "../../worker/tflite/litert.ts";
import { InvalidTfliteError, readTflite } from "../../worker/tflite/reader.ts";
import { writeTflite } from "../../worker/tflite/writer.ts";

// TFLite Support metadata read back two ways: with the project's reader, and here with the
// flatbuffers package's own ByteBuffer accessors and the slot numbers of
// metadata_schema.fbs typed in below (a field's slot is its position in its table), so a
// wrong slot in worker/tflite/metadata-schema.ts cannot pass unnoticed.
const LABELS = ["unripe", "ripe", "overripe"];
const SIZE = 8;
type Sym = tf.SymbolicTensor;

let model: tf.LayersModel;
let bytes: Uint8Array;
let dir: string;
beforeAll(async () => {
  const input = tf.input({ shape: [SIZE, SIZE, 3] });
  const x = tf.layers
    .conv2d({ filters: 4, kernelSize: 3, padding: "same", kernelInitializer: "glorotUniform" })
    .apply(input) as Sym;
  const gap = tf.layers.globalAveragePooling2d({}).apply(x) as Sym;
  const out = tf.layers.dense({ units: 3, activation: "softmax" }).apply(gap) as Sym;
  model = tf.model({ inputs: input, outputs: out });
  bytes = writeTflite(model, {
    labels: LABELS,
    preprocessing: describePreprocessing(SIZE),
    variant: "float16",
    model: { version: 7 },
  });
  dir = await mkdtemp(join(tmpdir(), "tflite-metadata-"));
});
afterAll(async () => {
  model?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Table accessors over one FlatBuffer, by slot. */
function fb(data: Uint8Array) {
  const bb = new ByteBuffer(data);
  const at = (t: number, slot: number) => bb.__offset(t, 4 + 2 * slot);
  const vec = (t: number, slot: number) =>
    at(t, slot)
      ? { start: bb.__vector(t + at(t, slot)), n: bb.__vector_len(t + at(t, slot)) }
      : { start: 0, n: 0 };
  return {
    bb,
    root: bb.readInt32(0),
    str: (t: number, slot: number) =>
      at(t, slot) ? (bb.__string(t + at(t, slot)) as string) : undefined,
    byte: (t: number, slot: number) => (at(t, slot) ? bb.readInt8(t + at(t, slot)) : 0),
    sub: (t: number, slot: number) => bb.__indirect(t + at(t, slot)),
    subs: (t: number, slot: number) => {
      const { start, n } = vec(t, slot);
      return Array.from({ length: n }, (_, i) => bb.__indirect(start + 4 * i));
    },
    floats: (t: number, slot: number) => {
      const { start, n } = vec(t, slot);
      return Array.from({ length: n }, (_, i) => bb.readFloat32(start + 4 * i));
    },
    bytes: (t: number, slot: number) => {
      const { start, n } = vec(t, slot);
      return data.subarray(start, start + n);
    },
  };
}

/** The buffer of the model's metadata entry `name`: Model 6 metadata, 4 buffers; Metadata 0 name, 1 buffer; Buffer 0 data. */
function metadataBuffer(file: Uint8Array, name: string): Uint8Array {
  const m = fb(file);
  const entry = m.subs(m.root, 6).find((e) => m.str(e, 0) === name)!;
  expect(entry, `metadata entry ${name}`).toBeDefined();
  const buffer = m.subs(m.root, 4)[m.bb.readUint32(entry + m.bb.__offset(entry, 6))]!;
  return m.bytes(buffer, 0);
}

describe("TFLite Support metadata (TFLITE_METADATA) and labels.txt", () => {
  it("reads back with the flatbuffers package and metadata_schema.fbs' slots as the official image classifier writer fills it", () => {
    const meta = metadataBuffer(bytes, "TFLITE_METADATA");
    const m = fb(meta);
    expect(m.bb.__has_identifier("M001")).toBe(true);
    // ModelMetadata: 0 name, 1 description, 2 version, 3 subgraph_metadata, 4 author, 7 min_parser_version
    expect(m.str(m.root, 0)).toBe("mango ripeness classifier");
    expect(m.str(m.root, 2)).toBe("7");
    expect(m.str(m.root, 7)).toBe("1.0.0");
    const [sg, extra] = m.subs(m.root, 3);
    expect(extra).toBeUndefined();
    // SubGraphMetadata: 2 input_tensor_metadata, 3 output_tensor_metadata.
    // TensorMetadata: 0 name, 3 content, 4 process_units, 5 stats, 6 associated_files.
    const [image] = m.subs(sg!, 2);
    expect(m.str(image!, 0)).toBe("image");
    const content = m.sub(image!, 3); // Content: 0 content_properties_type, 1 content_properties
    expect(m.byte(content, 0)).toBe(2); // ContentProperties.ImageProperties
    expect(m.byte(m.sub(content, 1), 0)).toBe(1); // ImageProperties.color_space = RGB
    const [unit] = m.subs(image!, 4); // ProcessUnit: 0 options_type, 1 options
    expect(m.byte(unit!, 0)).toBe(1); // ProcessUnitOptions.NormalizationOptions
    const norm = m.sub(unit!, 1); // NormalizationOptions: 0 mean, 1 std
    expect([m.floats(norm, 0), m.floats(norm, 1)]).toEqual([
      Array(3).fill(127.5),
      Array(3).fill(127.5),
    ]);
    const stats = m.sub(image!, 5); // Stats: 0 max, 1 min
    expect([m.floats(stats, 0), m.floats(stats, 1)]).toEqual([Array(3).fill(1), Array(3).fill(-1)]);
    // Both outputs, in SubGraph.outputs order, name labels.txt (AssociatedFile: 0 name, 2 type).
    const outputs = m.subs(sg!, 3);
    expect(outputs.map((o) => m.str(o, 0))).toEqual(["probabilities", "logits"]);
    for (const o of outputs) {
      expect(m.byte(m.sub(o, 3), 0)).toBe(1); // ContentProperties.FeatureProperties
      const [file] = m.subs(o, 6);
      expect([m.str(file!, 0), m.byte(file!, 2)]).toEqual(["labels.txt", 2]); // TENSOR_AXIS_LABELS
    }
    const probStats = m.sub(outputs[0]!, 5);
    expect([m.floats(probStats, 0), m.floats(probStats, 1)]).toEqual([[1], [0]]);
  });

  it("the project's reader gives the same facts, and the labels from labels.txt", () => {
    const file = readTflite(bytes);
    expect(file.labels).toEqual(LABELS);
    expect(new TextDecoder().decode(file.files["labels.txt"])).toBe("unripe\nripe\noverripe\n");
    expect(file.support).toMatchObject({
      name: "mango ripeness classifier",
      version: "7",
      minParserVersion: "1.0.0",
      inputs: [
        {
          name: "image",
          content: "ImageProperties",
          colorSpace: "RGB",
          normalization: { mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] },
          stats: { min: [-1, -1, -1], max: [1, 1, 1] },
        },
      ],
      outputs: [
        { name: "probabilities", content: "FeatureProperties", stats: { min: [0], max: [1] } },
        { name: "logits", content: "FeatureProperties" },
      ],
    });
    for (const o of file.support!.outputs)
      expect(o.associatedFiles).toMatchObject([{ name: "labels.txt", type: "TENSOR_AXIS_LABELS" }]);
  });

  it("keeps in mango_mlops_metadata only what the standard has no field for", () => {
    const json = JSON.parse(
      new TextDecoder().decode(metadataBuffer(bytes, "mango_mlops_metadata")),
    );
    expect(json).toEqual({
      format_version: 2,
      variant: "float16",
      input: { name: "image", colour_space: "srgb", resize: "exif-rotate, cover, centre-crop" },
      model: { version: 7 },
    });
    expect(readTflite(bytes).metadata).toEqual(json);
  });

  it.skipIf(spawnSync("unzip", ["-v"]).status !== 0)(
    "labels.txt is a ZIP entry appended to the model, which unzip reads and LiteRT ignores",
    async () => {
      const path = join(dir, "model.tflite");
      await writeFile(path, bytes);
      const unzip = spawnSync("unzip", ["-p", path, "labels.txt"], { encoding: "utf8" });
      expect([unzip.status, unzip.stdout]).toEqual([0, "unripe\nripe\noverripe\n"]);
      const session = await openTflite(bytes);
      expect(session.inputs).toEqual([{ name: "image", shape: [1, SIZE, SIZE, 3] }]);
      session.close();
    },
  );

  it("refuses a file whose ZIP is cut off or damaged, and a label that cannot be a line", () => {
    const cut = bytes.slice(0, bytes.length - 22); // without the ZIP's end record
    expect(() => readTflite(cut)).toThrow(InvalidTfliteError);
    expect(() => readTflite(cut)).toThrow(/names labels\.txt but no ZIP is appended/);
    const damaged = bytes.slice();
    damaged[Buffer.from(damaged).lastIndexOf("unripe\nripe")]! ^= 1; // a byte of labels.txt
    expect(() => readTflite(damaged)).toThrow(/"labels\.txt" fails its CRC-32 check/);
    expect(() =>
      writeTflite(model, {
        labels: ["unripe", "ri\npe", "overripe"],
        preprocessing: describePreprocessing(SIZE),
        variant: "float32",
      }),
    ).toThrow(/label "ri\\npe" cannot go in labels\.txt/);
  });
});
