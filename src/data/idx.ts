// IDX files (the MNIST format): a big-endian header of two zero bytes, a type code, the number of
// dimensions and one uint32 size per dimension, then the values, big-endian, row-major. Files
// may be gzipped (detected by the gzip magic bytes, not the file name). Anything malformed gives
// a one-line error naming the file.

import fs from 'node:fs';
import { gunzipSync } from 'node:zlib';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dims: number[];
  data: IdxData;
}

const TYPES: Record<number, { name: string; bytes: number; make: (n: number) => IdxData; read: (v: DataView, at: number) => number }> = {
  0x08: { name: 'uint8', bytes: 1, make: (n) => new Uint8Array(n), read: (v, at) => v.getUint8(at) },
  0x09: { name: 'int8', bytes: 1, make: (n) => new Int8Array(n), read: (v, at) => v.getInt8(at) },
  0x0b: { name: 'int16', bytes: 2, make: (n) => new Int16Array(n), read: (v, at) => v.getInt16(at) },
  0x0c: { name: 'int32', bytes: 4, make: (n) => new Int32Array(n), read: (v, at) => v.getInt32(at) },
  0x0d: { name: 'float32', bytes: 4, make: (n) => new Float32Array(n), read: (v, at) => v.getFloat32(at) },
  0x0e: { name: 'float64', bytes: 8, make: (n) => new Float64Array(n), read: (v, at) => v.getFloat64(at) },
};

export function readIdx(path: string): IdxArray {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read IDX file ${path}: ${(e as Error).message}`);
  }
  return parseIdx(raw, path);
}

/** Parses IDX bytes (gzipped or plain); `name` only labels errors. */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  const buf = isGzip(bytes) ? gunzip(bytes, name) : bytes;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new Error(`corrupt IDX file ${name}: bad magic number (expected 00 00 <type> <ndims>)`);
  const type = TYPES[buf[2]!];
  if (!type) throw new Error(`corrupt IDX file ${name}: unknown type code 0x${buf[2]!.toString(16)}`);
  const ndims = buf[3]!;
  const header = 4 + 4 * ndims;
  if (ndims === 0 || buf.length < header) throw new Error(`corrupt IDX file ${name}: header truncated or with no dimensions`);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = header + count * type.bytes;
  if (buf.length !== expected) throw new Error(`corrupt IDX file ${name}: ${type.name} [${dims.join(', ')}] needs ${expected} bytes, found ${buf.length}`);
  return { dims, data: decode(buf, view, header, count, type) };
}

function decode(buf: Uint8Array, view: DataView, at: number, count: number, type: (typeof TYPES)[number]): IdxData {
  const out = type.make(count);
  if (type.bytes === 1) {
    new Uint8Array(out.buffer).set(buf.subarray(at, at + count)); // same bits for uint8 and int8
    return out;
  }
  for (let i = 0; i < count; i++) out[i] = type.read(view, at + i * type.bytes);
  return out;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gunzip(bytes: Uint8Array, name: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new Error(`corrupt IDX file ${name}: gzip data cannot be decompressed (${(e as Error).message})`);
  }
}
