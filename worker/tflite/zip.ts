/**
 * The ZIP archive TFLite Support appends to a model for its associated files (labels.txt):
 * the official MetadataPopulator opens the finished .tflite with Python's `zipfile` in append
 * mode, which writes STORED entries after the FlatBuffer (a FlatBuffer ignores trailing
 * bytes) with offsets counted from the start of the whole file. This writes the same layout:
 * local headers, data, central directory, end record (PKWARE APPNOTE 4.3), uncompressed, with
 * a fixed 1980-01-01 timestamp so the same model gives the same bytes. The reader takes any
 * STORED archive at the end of a file, with absolute or archive-relative offsets.
 */
import { crc32 } from "node:zlib";

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const UTF8_NAMES = 0x0800; // general purpose flag bit 11

/** `prefix` followed by a STORED ZIP of `files`; offsets count from the start of `prefix`. */
export function appendStoredZip(prefix: Uint8Array, files: Record<string, Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [prefix];
  const central: Uint8Array[] = [];
  let offset = prefix.length;
  for (const [name, data] of Object.entries(files)) {
    const nameBytes = new TextEncoder().encode(name);
    const crc = crc32(data) >>> 0;
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, LOCAL, true);
    local.setUint16(4, 10, true); // version needed: 1.0 (stored)
    local.setUint16(6, UTF8_NAMES, true);
    local.setUint16(8, 0, true); // method: stored
    local.setUint16(10, 0, true);
    local.setUint16(12, DOS_DATE_1980_01_01, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, data.length, true);
    local.setUint32(22, data.length, true);
    local.setUint16(26, nameBytes.length, true);
    local.setUint16(28, 0, true);
    const cd = new DataView(new ArrayBuffer(46));
    cd.setUint32(0, CENTRAL, true);
    cd.setUint16(4, 20, true); // version made by: 2.0
    cd.setUint16(6, 10, true);
    cd.setUint16(8, UTF8_NAMES, true);
    cd.setUint16(14, DOS_DATE_1980_01_01, true);
    cd.setUint32(16, crc, true);
    cd.setUint32(20, data.length, true);
    cd.setUint32(24, data.length, true);
    cd.setUint16(28, nameBytes.length, true);
    cd.setUint32(42, offset, true);
    parts.push(new Uint8Array(local.buffer), nameBytes, data);
    central.push(new Uint8Array(cd.buffer), nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const cdSize = central.reduce((a, p) => a + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, END, true);
  end.setUint16(8, Object.keys(files).length, true);
  end.setUint16(10, Object.keys(files).length, true);
  end.setUint32(12, cdSize, true);
  end.setUint32(16, offset, true);
  const all = [...parts, ...central, new Uint8Array(end.buffer)];
  const out = new Uint8Array(all.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The files of the STORED ZIP archive at the end of `bytes`, by name; undefined when the
 * bytes do not end in a ZIP end record. A damaged archive calls `fail` (which throws).
 */
export function readTrailingZip(
  bytes: Uint8Array,
  fail: (what: string) => never,
): Record<string, Uint8Array> | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let p = bytes.length - 22; p >= Math.max(0, bytes.length - 22 - 0xffff); p--) {
    if (dv.getUint32(p, true) === END && p + 22 + dv.getUint16(p + 20, true) === bytes.length) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const count = dv.getUint16(eocd + 10, true);
  const cdSize = dv.getUint32(eocd + 12, true);
  const cdStart = eocd - cdSize;
  const base = cdStart - dv.getUint32(eocd + 16, true); // 0 when offsets count from the file's start
  const check = (pos: number, n: number, what: string) => {
    if (pos < 0 || pos + n > bytes.length) fail(`the appended ZIP's ${what} lies outside the file`);
  };
  check(cdStart, cdSize, "central directory");
  const files: Record<string, Uint8Array> = {};
  let p = cdStart;
  for (let i = 0; i < count; i++) {
    check(p, 46, `central directory entry ${i}`);
    if (dv.getUint32(p, true) !== CENTRAL) fail(`the appended ZIP's entry ${i} has no signature`);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    const size = dv.getUint32(p + 20, true);
    const [n, m, k] = [28, 30, 32].map((o) => dv.getUint16(p + o, true)) as [
      number,
      number,
      number,
    ];
    check(p + 46, n, `entry ${i} name`);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + n));
    if (method !== 0)
      fail(`the appended ZIP's "${name}" is compressed (method ${method}); only stored is read`);
    const local = base + dv.getUint32(p + 42, true);
    check(local, 30, `"${name}" local header`);
    if (dv.getUint32(local, true) !== LOCAL)
      fail(`the appended ZIP's "${name}" has no local header`);
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    check(start, size, `"${name}" data`);
    const data = bytes.subarray(start, start + size);
    if (crc32(data) >>> 0 !== crc) fail(`the appended ZIP's "${name}" fails its CRC-32 check`);
    files[name] = data;
    p += 46 + n + m + k;
  }
  return files;
}
