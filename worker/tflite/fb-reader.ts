/**
 * A bounds-checked FlatBuffer table reader, shared by the .tflite reader (root `Model`) and
 * the TFLite Support metadata reader (root `ModelMetadata`). Every offset is checked against
 * the buffer's size before it is read: FlatBuffers' own accessors read past the end without
 * complaint. A bad offset calls `fail` with what was being read, so the caller's error can
 * say what is wrong and where.
 */

/** Called with a description of what is malformed; must throw. */
export type Fail = (what: string) => never;

/** Reads tables, vectors and scalars of one FlatBuffer. */
export class FlatReader {
  private readonly dv: DataView;

  /** `container` names the bytes in errors ("file", "metadata buffer"). */
  constructor(
    readonly bytes: Uint8Array,
    readonly fail: Fail,
    private readonly container = "file",
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The root table's position. */
  root(): number {
    return this.ref(0, "root table offset");
  }

  /** The 4-byte file identifier (bytes 4..8), or "" for a buffer too short to have one. */
  identifier(): string {
    return this.bytes.length < 8 ? "" : String.fromCharCode(...this.bytes.subarray(4, 8));
  }

  private need(pos: number, n: number, what: string): void {
    if (!Number.isInteger(pos) || pos < 0 || pos + n > this.bytes.length)
      this.fail(`${what} at byte ${pos} (+${n}) lies outside the ${this.container}`);
  }

  private u32(pos: number, what: string): number {
    this.need(pos, 4, what);
    return this.dv.getUint32(pos, true);
  }

  /** The position a uoffset at `pos` points to. */
  ref(pos: number, what: string): number {
    return pos + this.u32(pos, what);
  }

  /** Position of a table's field `slot`, or undefined when absent. */
  field(table: number, slot: number, what: string): number | undefined {
    this.need(table, 4, what);
    const vtable = table - this.dv.getInt32(table, true);
    this.need(vtable, 4, `${what} vtable`);
    const vsize = this.dv.getUint16(vtable, true);
    if (vsize < 4 || vsize % 2) this.fail(`${what} has a malformed vtable (size ${vsize})`);
    if (4 + 2 * slot >= vsize) return undefined;
    this.need(vtable + 4 + 2 * slot, 2, `${what} vtable`);
    const off = this.dv.getUint16(vtable + 4 + 2 * slot, true);
    return off === 0 ? undefined : table + off;
  }

  /** A vector field's first element and length (0 when absent). */
  vector(
    table: number,
    slot: number,
    elem: number,
    what: string,
  ): { start: number; length: number } {
    const f = this.field(table, slot, what);
    if (f === undefined) return { start: 0, length: 0 };
    const v = this.ref(f, what);
    const length = this.u32(v, `${what} length`);
    this.need(v + 4, length * elem, what);
    return { start: v + 4, length };
  }

  /** A vector of tables, as their positions. */
  tables(table: number, slot: number, what: string): number[] {
    const { start, length } = this.vector(table, slot, 4, what);
    return Array.from({ length }, (_, i) => this.ref(start + 4 * i, `${what}[${i}]`));
  }

  /** A sub-table field, or undefined when absent. */
  table(table: number, slot: number, what: string): number | undefined {
    const f = this.field(table, slot, what);
    return f === undefined ? undefined : this.ref(f, what);
  }

  /** A string field ("" when absent). */
  string(table: number, slot: number, what: string): string {
    const { start, length } = this.vector(table, slot, 1, what);
    return new TextDecoder().decode(this.bytes.subarray(start, start + length));
  }

  /** A [ubyte] field's bytes (a view, empty when absent). */
  byteVector(table: number, slot: number, what: string): Uint8Array {
    const { start, length } = this.vector(table, slot, 1, what);
    return this.bytes.subarray(start, start + length);
  }

  /** A [float] field. */
  floats(table: number, slot: number, what: string): number[] {
    const { start, length } = this.vector(table, slot, 4, what);
    return Array.from({ length }, (_, i) => this.dv.getFloat32(start + 4 * i, true));
  }

  /** A uint (or int) field, `fallback` when absent. */
  uint(table: number, slot: number, what: string, fallback = 0): number {
    const f = this.field(table, slot, what);
    return f === undefined ? fallback : this.u32(f, what);
  }

  /** A byte/ubyte field (enums, union types, bools), `fallback` when absent. */
  byte(table: number, slot: number, what: string, fallback = 0): number {
    const f = this.field(table, slot, what);
    if (f === undefined) return fallback;
    this.need(f, 1, what);
    return this.dv.getUint8(f);
  }
}
