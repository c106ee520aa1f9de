/**
 * TFLite Support metadata (`metadata_schema.fbs`, facts in metadata-schema.ts) as a typed
 * value, its FlatBuffer (identifier M001, written with the `flatbuffers` Builder as the
 * official MetadataPopulator would store it) and a bounds-checked reader of that FlatBuffer.
 * Only the fields an image classifier needs are modelled: the model's name, description and
 * version, and per input/output tensor its content (image or feature), colour space,
 * normalisation, value range and associated files (the labels).
 */
import { Builder } from "flatbuffers";
import { FlatReader, type Fail } from "./fb-reader.ts";
import { float32Vector, offsetVector, table, type Offset } from "./flatbuffer.ts";
import {
  AssociatedFileType,
  ColorSpaceType,
  ContentProperties,
  METADATA_FILE_IDENTIFIER,
  MetaSlot as S,
  ProcessUnitOptions,
} from "./metadata-schema.ts";

/** A file packed beside the model (in the appended ZIP) and what it holds. */
export interface AssociatedFileInfo {
  name: string;
  description: string;
  type: keyof typeof AssociatedFileType;
}

/** One input or output tensor's metadata, in `SubGraph.inputs`/`outputs` order. */
export interface TensorInfo {
  name: string;
  description: string;
  content: "ImageProperties" | "FeatureProperties";
  /** For images. */
  colorSpace?: keyof typeof ColorSpaceType;
  /** x = (value - mean) / std per channel, applied before the model. */
  normalization?: { mean: number[]; std: number[] };
  /** Value range of the tensor (per channel, or one value for all). */
  stats?: { min: number[]; max: number[] };
  associatedFiles: AssociatedFileInfo[];
}

/** The `ModelMetadata` of a single-subgraph model. */
export interface SupportMetadata {
  name: string;
  description: string;
  version?: string;
  author?: string;
  minParserVersion: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

const nameOf = <T extends Record<string, number>>(e: T, v: number): keyof T | undefined =>
  (Object.keys(e) as (keyof T)[]).find((k) => e[k] === v);

/** The metadata as a FlatBuffer, ready to be a model buffer named TFLITE_METADATA. */
export function buildSupportMetadata(m: SupportMetadata): Uint8Array {
  const b = new Builder(1024);
  const str = (s: string | undefined) => (s === undefined ? undefined : b.createString(s));
  const opt = (slot: number, offset: Offset | undefined) =>
    offset === undefined ? undefined : { slot, offset };
  const file = (f: AssociatedFileInfo) => {
    const [name, description] = [str(f.name)!, str(f.description)!];
    return table(b, S.AssociatedFile.count, [
      { slot: S.AssociatedFile.name, offset: name },
      { slot: S.AssociatedFile.description, offset: description },
      { slot: S.AssociatedFile.type, int8: AssociatedFileType[f.type], default: 0 },
    ]);
  };
  const tensor = (t: TensorInfo) => {
    const [name, description] = [str(t.name)!, str(t.description)!];
    const props =
      t.content === "ImageProperties"
        ? table(b, S.ImageProperties.count, [
            {
              slot: S.ImageProperties.color_space,
              int8: ColorSpaceType[t.colorSpace ?? "UNKNOWN"],
              default: 0,
            },
          ])
        : table(b, S.FeatureProperties.count, []);
    const content = table(b, S.Content.count, [
      { slot: S.Content.content_properties_type, uint8: ContentProperties[t.content] },
      { slot: S.Content.content_properties, offset: props },
    ]);
    let units: Offset | undefined;
    if (t.normalization) {
      const [mean, std] = [
        float32Vector(b, t.normalization.mean),
        float32Vector(b, t.normalization.std),
      ];
      const norm = table(b, S.NormalizationOptions.count, [
        { slot: S.NormalizationOptions.mean, offset: mean },
        { slot: S.NormalizationOptions.std, offset: std },
      ]);
      const unit = table(b, S.ProcessUnit.count, [
        { slot: S.ProcessUnit.options_type, uint8: ProcessUnitOptions.NormalizationOptions },
        { slot: S.ProcessUnit.options, offset: norm },
      ]);
      units = offsetVector(b, [unit]);
    }
    let stats: Offset | undefined;
    if (t.stats) {
      const [max, min] = [float32Vector(b, t.stats.max), float32Vector(b, t.stats.min)];
      stats = table(b, S.Stats.count, [
        { slot: S.Stats.max, offset: max },
        { slot: S.Stats.min, offset: min },
      ]);
    }
    const files = t.associatedFiles.length
      ? offsetVector(b, t.associatedFiles.map(file))
      : undefined;
    const T = S.TensorMetadata;
    return table(b, T.count, [
      { slot: T.name, offset: name },
      { slot: T.description, offset: description },
      { slot: T.content, offset: content },
      opt(T.process_units, units),
      opt(T.stats, stats),
      opt(T.associated_files, files),
    ]);
  };
  const inputs = offsetVector(b, m.inputs.map(tensor));
  const outputs = offsetVector(b, m.outputs.map(tensor));
  const G = S.SubGraphMetadata;
  const subgraph = table(b, G.count, [
    { slot: G.input_tensor_metadata, offset: inputs },
    { slot: G.output_tensor_metadata, offset: outputs },
  ]);
  const M = S.ModelMetadata;
  const [name, description, version, author, minVersion] = [
    str(m.name)!,
    str(m.description)!,
    str(m.version),
    str(m.author),
    str(m.minParserVersion)!,
  ];
  const root = table(b, M.count, [
    { slot: M.name, offset: name },
    { slot: M.description, offset: description },
    opt(M.version, version),
    { slot: M.subgraph_metadata, offset: offsetVector(b, [subgraph]) },
    opt(M.author, author),
    { slot: M.min_parser_version, offset: minVersion },
  ]);
  b.finish(root, METADATA_FILE_IDENTIFIER);
  return b.asUint8Array().slice();
}

/** Reads a TFLITE_METADATA FlatBuffer; `fail` (which throws) gets what is malformed. */
export function readSupportMetadata(bytes: Uint8Array, fail: Fail): SupportMetadata {
  const r = new FlatReader(bytes, fail, "metadata buffer");
  if (r.identifier() !== METADATA_FILE_IDENTIFIER)
    fail(`its identifier is "${r.identifier()}", expected "${METADATA_FILE_IDENTIFIER}"`);
  const root = r.root();
  const M = S.ModelMetadata;
  const subgraphs = r.tables(root, M.subgraph_metadata, "ModelMetadata.subgraph_metadata");
  if (subgraphs.length !== 1) fail(`it has ${subgraphs.length} subgraph metadata, expected 1`);
  const file = (f: number, what: string): AssociatedFileInfo => ({
    name: r.string(f, S.AssociatedFile.name, `${what}.name`),
    description: r.string(f, S.AssociatedFile.description, `${what}.description`),
    type: nameOf(AssociatedFileType, r.byte(f, S.AssociatedFile.type, `${what}.type`)) ?? "UNKNOWN",
  });
  const tensor = (t: number, what: string): TensorInfo => {
    const T = S.TensorMetadata;
    const info: TensorInfo = {
      name: r.string(t, T.name, `${what}.name`),
      description: r.string(t, T.description, `${what}.description`),
      content: "FeatureProperties",
      associatedFiles: r
        .tables(t, T.associated_files, `${what}.associated_files`)
        .map((f, i) => file(f, `${what}.associated_files[${i}]`)),
    };
    const content = r.table(t, T.content, `${what}.content`);
    if (content !== undefined) {
      const type = r.byte(content, S.Content.content_properties_type, `${what}.content type`);
      const props = r.table(content, S.Content.content_properties, `${what}.content`);
      if (type === ContentProperties.ImageProperties) {
        info.content = "ImageProperties";
        const cs = props === undefined ? 0 : r.byte(props, S.ImageProperties.color_space, what);
        info.colorSpace = nameOf(ColorSpaceType, cs) ?? "UNKNOWN";
      } else if (type !== ContentProperties.FeatureProperties) {
        fail(`${what} has content type ${type}, which this reader does not model`);
      }
    }
    for (const [i, u] of r.tables(t, T.process_units, `${what}.process_units`).entries()) {
      const w = `${what}.process_units[${i}]`;
      if (r.byte(u, S.ProcessUnit.options_type, w) !== ProcessUnitOptions.NormalizationOptions)
        continue;
      const o = r.table(u, S.ProcessUnit.options, w) ?? fail(`${w} has no options`);
      info.normalization = {
        mean: r.floats(o, S.NormalizationOptions.mean, `${w}.mean`),
        std: r.floats(o, S.NormalizationOptions.std, `${w}.std`),
      };
    }
    const stats = r.table(t, T.stats, `${what}.stats`);
    if (stats !== undefined)
      info.stats = {
        min: r.floats(stats, S.Stats.min, `${what}.stats.min`),
        max: r.floats(stats, S.Stats.max, `${what}.stats.max`),
      };
    return info;
  };
  const G = S.SubGraphMetadata;
  const sg = subgraphs[0]!;
  const tensors = (slot: number, what: string) =>
    r.tables(sg, slot, what).map((t, i) => tensor(t, `${what}[${i}]`));
  const version = r.string(root, M.version, "ModelMetadata.version");
  const author = r.string(root, M.author, "ModelMetadata.author");
  return {
    name: r.string(root, M.name, "ModelMetadata.name"),
    description: r.string(root, M.description, "ModelMetadata.description"),
    ...(version ? { version } : {}),
    ...(author ? { author } : {}),
    minParserVersion: r.string(root, M.min_parser_version, "ModelMetadata.min_parser_version"),
    inputs: tensors(G.input_tensor_metadata, "input_tensor_metadata"),
    outputs: tensors(G.output_tensor_metadata, "output_tensor_metadata"),
  };
}
