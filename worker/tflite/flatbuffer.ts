/**
 * Small helpers over `flatbuffers.Builder` for the vectors and tables a .tflite needs.
 * FlatBuffers are built back to front and a table's children (strings, vectors, sub-tables)
 * must exist before `startObject`, so every helper here returns an offset to pass on.
 */
import { Builder } from "flatbuffers";

/** An offset returned by the builder. */
export type Offset = number;

/** A vector of table/string offsets. */
export function offsetVector(b: Builder, offsets: readonly Offset[]): Offset {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i] as Offset);
  return b.endVector();
}

/** A vector of int32 (shapes, tensor indices). */
export function int32Vector(b: Builder, values: readonly number[] | Int32Array): Offset {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i] as number);
  return b.endVector();
}

/** A vector of float32 (quantisation scales). */
export function float32Vector(b: Builder, values: readonly number[] | Float32Array): Offset {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i] as number);
  return b.endVector();
}

/** A vector of int64 (quantisation zero points). */
export function int64Vector(b: Builder, values: readonly number[]): Offset {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(values[i] as number));
  return b.endVector();
}

/**
 * A [ubyte] vector whose first byte lands on an `alignment` boundary of the finished file:
 * `Buffer.data` is `force_align: 16`, and runtimes map weights in place, so misaligned
 * float data would be read slowly or refused. The bytes are copied in one `set` rather
 * than one builder call per byte (a MobileNetV2 has ~1.6 M of them).
 */
export function alignedByteVector(b: Builder, bytes: Uint8Array, alignment: number): Offset {
  b.startVector(1, bytes.length, alignment);
  b.pad(bytes.length); // reserves the space (zeros) at the aligned position
  const start = b.dataBuffer().capacity() - b.offset();
  b.dataBuffer().bytes().set(bytes, start);
  return b.endVector();
}

/** One field of a table: its slot and how to write it. */
export type Field =
  | { slot: number; int8: number; default?: number }
  | { slot: number; uint8: number; default?: number }
  | { slot: number; int32: number; default?: number }
  | { slot: number; uint32: number; default?: number }
  | { slot: number; float32: number; default?: number }
  | { slot: number; bool: boolean; default?: boolean }
  | { slot: number; offset: Offset };

/**
 * A table from its fields (children already built). A field equal to its schema default
 * is left out, as flatc does; pass no `default` to always write it.
 */
export function table(
  b: Builder,
  numSlots: number,
  fields: readonly (Field | undefined)[],
): Offset {
  b.startObject(numSlots);
  for (const f of fields) {
    if (!f) continue;
    const d = "default" in f && f.default !== undefined ? Number(f.default) : null;
    if ("offset" in f) b.addFieldOffset(f.slot, f.offset, 0);
    else if ("int8" in f) b.addFieldInt8(f.slot, f.int8, d);
    else if ("uint8" in f) b.addFieldInt8(f.slot, f.uint8, d);
    else if ("int32" in f) b.addFieldInt32(f.slot, f.int32, d);
    else if ("uint32" in f) b.addFieldInt32(f.slot, f.uint32, d);
    else if ("float32" in f) b.addFieldFloat32(f.slot, f.float32, d);
    else b.addFieldInt8(f.slot, f.bool ? 1 : 0, d);
  }
  return b.endObject();
}
