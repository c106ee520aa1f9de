/**
 * A bounds-checked reader of the parts of a .tflite the pipeline and the app rely on: the
 * header, the `serving_default` signature, the buffers, the TFLite Support metadata with the
 * files of the appended ZIP (labels.txt), and our own JSON entry. It refuses a truncated or
 * corrupt file with an error that says what is wrong and where, before any runtime sees it
 * (runtimes tend to say only "failed to load").
 */
import { FlatReader } from "./fb-reader.ts";
import { METADATA_NAME, type TfliteMetadata } from "./metadata.ts";
import { SUPPORT_METADATA_NAME } from "./metadata-schema.ts";
import { FILE_IDENTIFIER, Slot } from "./schema.ts";
import { readSupportMetadata, type SupportMetadata } from "./support-metadata.ts";
import { readTrailingZip } from "./zip.ts";

/** What `readTflite` found in a file. */
export interface TfliteSummary {
  bytes: number;
  version: number;
  description: string;
  /** serving_default's tensor names and indices. */
  signature: { key: string; inputs: Record<string, number>; outputs: Record<string, number> };
  /** Byte offset and length of each buffer's data (buffer 0 is empty). */
  buffers: { offset: number; length: number }[];
  /** TFLite Support metadata (`TFLITE_METADATA`), if present. */
  support?: SupportMetadata;
  /** The files of the ZIP appended to the model (TFLite Support's associated files). */
  files: Record<string, Uint8Array>;
  /** Class names from the first output's TENSOR_AXIS_LABELS file, in output order. */
  labels?: string[];
  /** Our `mango_mlops_metadata` JSON, if present. */
  metadata?: TfliteMetadata;
}

/** Thrown for a file that is not a well-formed .tflite. */
export class InvalidTfliteError extends Error {
  constructor(what: string, size: number) {
    super(
      `not a valid .tflite file (${size} bytes): ${what}. The file is truncated or corrupt: re-export it from the TF.js model.`,
    );
    this.name = "InvalidTfliteError";
  }
}

/** Reads and checks a .tflite's structure; throws `InvalidTfliteError` if it is malformed. */
export function readTflite(bytes: Uint8Array): TfliteSummary {
  const size = bytes.length;
  const fail = (what: string): never => {
    throw new InvalidTfliteError(what, size);
  };
  if (size < 8) fail(`it is shorter than the 8-byte FlatBuffer header`);
  const r = new FlatReader(bytes, fail);
  if (r.identifier() !== FILE_IDENTIFIER)
    fail(`its file identifier (bytes 4..8) is "${r.identifier()}", expected "${FILE_IDENTIFIER}"`);

  const root = r.root();
  const M = Slot.Model;
  const version = r.uint(root, M.version, "Model.version");
  if (version !== 3) fail(`Model.version is ${version}, expected 3`);
  const buffers = r.tables(root, M.buffers, "Model.buffers").map((b, i) => {
    const { start, length } = r.vector(b, Slot.Buffer.data, 1, `Model.buffers[${i}].data`);
    return { offset: start, length };
  });
  if (r.tables(root, M.subgraphs, "Model.subgraphs").length === 0) fail("it has no subgraph");

  const sig = r
    .tables(root, M.signature_defs, "Model.signature_defs")
    .map((s) => ({
      s,
      key: r.string(s, Slot.SignatureDef.signature_key, "SignatureDef.signature_key"),
    }))
    .find((x) => x.key === "serving_default");
  if (!sig) fail(`it has no "serving_default" signature`);
  const maps = (slot: number, what: string) =>
    Object.fromEntries(
      r
        .tables(sig!.s, slot, what)
        .map((m) => [
          r.string(m, Slot.TensorMap.name, `${what}.name`),
          r.uint(m, Slot.TensorMap.tensor_index, `${what}.tensor_index`),
        ]),
    );

  const entries = new Map<string, Uint8Array>();
  for (const m of r.tables(root, M.metadata, "Model.metadata")) {
    const name = r.string(m, Slot.Metadata.name, "Metadata.name");
    const bi = r.uint(m, Slot.Metadata.buffer, "Metadata.buffer");
    const buf =
      buffers[bi] ?? fail(`metadata "${name}" points at buffer ${bi} of ${buffers.length}`);
    entries.set(name, bytes.subarray(buf.offset, buf.offset + buf.length));
  }
  const supportBytes = entries.get(SUPPORT_METADATA_NAME);
  const support = supportBytes
    ? readSupportMetadata(supportBytes, (what) =>
        fail(`metadata "${SUPPORT_METADATA_NAME}": ${what}`),
      )
    : undefined;
  const files = support ? readFiles(bytes, support, fail) : {};
  const labelsFile = support?.outputs[0]?.associatedFiles.find(
    (f) => f.type === "TENSOR_AXIS_LABELS",
  );
  const json = entries.get(METADATA_NAME);
  let metadata: TfliteMetadata | undefined;
  try {
    if (json) metadata = JSON.parse(new TextDecoder().decode(json)) as TfliteMetadata;
  } catch (err) {
    fail(`metadata "${METADATA_NAME}" is not valid JSON (${(err as Error).message})`);
  }
  return {
    bytes: size,
    version,
    description: r.string(root, M.description, "Model.description"),
    signature: {
      key: "serving_default",
      inputs: maps(Slot.SignatureDef.inputs, "signature inputs"),
      outputs: maps(Slot.SignatureDef.outputs, "signature outputs"),
    },
    buffers,
    ...(support ? { support } : {}),
    files,
    ...(labelsFile ? { labels: labelLines(files[labelsFile.name]!) } : {}),
    ...(metadata ? { metadata } : {}),
  };
}

/** The appended ZIP's files; every file the metadata names must be in it. */
function readFiles(
  bytes: Uint8Array,
  support: SupportMetadata,
  fail: (what: string) => never,
): Record<string, Uint8Array> {
  const named = [
    ...new Set(
      [...support.inputs, ...support.outputs].flatMap((t) => t.associatedFiles.map((f) => f.name)),
    ),
  ];
  if (named.length === 0) return {};
  const files = readTrailingZip(bytes, fail);
  if (!files)
    fail(
      `"${SUPPORT_METADATA_NAME}" names ${named.join(", ")} but no ZIP is appended to the model`,
    );
  for (const n of named)
    if (!files![n])
      fail(`"${SUPPORT_METADATA_NAME}" names "${n}" but the appended ZIP has no such file`);
  return files!;
}

/** A labels file's lines, without the final line break. */
function labelLines(file: Uint8Array): string[] {
  const text = new TextDecoder().decode(file).replace(/\r?\n$/, "");
  return text.split(/\r?\n/);
}
