/**
 * A bounds-checked reader of the parts of a .tflite the pipeline and the app rely on: the
 * header, the `serving_default` signature, the buffers and the metadata JSON. It refuses a
 * truncated or corrupt file with an error that says what is wrong and where, before any
 * runtime sees it (runtimes tend to say only "failed to load"). Every offset is checked
 * against the file size: FlatBuffers' own accessors read past the end without complaint.
 */
import { METADATA_NAME, type TfliteMetadata } from "./metadata.ts";
import { FILE_IDENTIFIER, Slot } from "./schema.ts";

/** What `readTflite` found in a file. */
export interface TfliteSummary {
  bytes: number;
  version: number;
  description: string;
  /** serving_default's tensor names and indices. */
  signature: { key: string; inputs: Record<string, number>; outputs: Record<string, number> };
  /** Byte offset and length of each buffer's data (buffer 0 is empty). */
  buffers: { offset: number; length: number }[];
  /** The embedded `mango_mlops_metadata`, if present. */
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
  const ident = String.fromCharCode(...bytes.subarray(4, 8));
  if (ident !== FILE_IDENTIFIER)
    fail(`its file identifier (bytes 4..8) is "${ident}", expected "${FILE_IDENTIFIER}"`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (pos: number, n: number, what: string) => {
    if (!Number.isInteger(pos) || pos < 0 || pos + n > size)
      fail(`${what} at byte ${pos} (+${n}) lies outside the file`);
  };
  const u32 = (pos: number, what: string) => (need(pos, 4, what), dv.getUint32(pos, true));
  const u16 = (pos: number, what: string) => (need(pos, 2, what), dv.getUint16(pos, true));

  /** Position of a table's field `slot`, or undefined when absent. */
  const field = (table: number, slot: number, what: string): number | undefined => {
    const vtable = table - dv.getInt32((need(table, 4, what), table), true);
    const vsize = u16(vtable, `${what} vtable`);
    if (vsize < 4 || vsize % 2) fail(`${what} has a malformed vtable (size ${vsize})`);
    if (4 + 2 * slot >= vsize) return undefined;
    const off = u16(vtable + 4 + 2 * slot, `${what} vtable`);
    return off === 0 ? undefined : table + off;
  };
  const ref = (pos: number, what: string) => pos + u32(pos, what);
  const vector = (
    table: number,
    slot: number,
    elem: number,
    what: string,
  ): { start: number; length: number } => {
    const f = field(table, slot, what);
    if (f === undefined) return { start: 0, length: 0 };
    const v = ref(f, what);
    const length = u32(v, `${what} length`);
    need(v + 4, length * elem, what);
    return { start: v + 4, length };
  };
  const tables = (table: number, slot: number, what: string): number[] => {
    const { start, length } = vector(table, slot, 4, what);
    return Array.from({ length }, (_, i) => ref(start + 4 * i, `${what}[${i}]`));
  };
  const string = (table: number, slot: number, what: string): string => {
    const { start, length } = vector(table, slot, 1, what);
    return new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(start, start + length));
  };
  const uint = (table: number, slot: number, what: string): number => {
    const f = field(table, slot, what);
    return f === undefined ? 0 : u32(f, what);
  };

  const root = ref(0, "root table offset");
  const M = Slot.Model;
  const version = uint(root, M.version, "Model.version");
  if (version !== 3) fail(`Model.version is ${version}, expected 3`);
  const buffers = tables(root, M.buffers, "Model.buffers").map((b, i) => {
    const { start, length } = vector(b, Slot.Buffer.data, 1, `Model.buffers[${i}].data`);
    return { offset: start, length };
  });
  if (tables(root, M.subgraphs, "Model.subgraphs").length === 0) fail("it has no subgraph");

  const sig = tables(root, M.signature_defs, "Model.signature_defs")
    .map((s) => ({
      s,
      key: string(s, Slot.SignatureDef.signature_key, "SignatureDef.signature_key"),
    }))
    .find((x) => x.key === "serving_default");
  if (!sig) fail(`it has no "serving_default" signature`);
  const maps = (slot: number, what: string) =>
    Object.fromEntries(
      tables(sig!.s, slot, what).map((m) => [
        string(m, Slot.TensorMap.name, `${what}.name`),
        uint(m, Slot.TensorMap.tensor_index, `${what}.tensor_index`),
      ]),
    );

  let metadata: TfliteMetadata | undefined;
  for (const m of tables(root, M.metadata, "Model.metadata")) {
    if (string(m, Slot.Metadata.name, "Metadata.name") !== METADATA_NAME) continue;
    const bi = uint(m, Slot.Metadata.buffer, "Metadata.buffer");
    const buf =
      buffers[bi] ??
      fail(`metadata "${METADATA_NAME}" points at buffer ${bi} of ${buffers.length}`);
    try {
      metadata = JSON.parse(
        new TextDecoder().decode(bytes.subarray(buf.offset, buf.offset + buf.length)),
      ) as TfliteMetadata;
    } catch (err) {
      fail(`metadata "${METADATA_NAME}" is not valid JSON (${(err as Error).message})`);
    }
  }
  return {
    bytes: size,
    version,
    description: string(root, M.description, "Model.description"),
    signature: {
      key: "serving_default",
      inputs: maps(Slot.SignatureDef.inputs, "signature inputs"),
      outputs: maps(Slot.SignatureDef.outputs, "signature outputs"),
    },
    buffers,
    ...(metadata ? { metadata } : {}),
  };
}
