// The safetensors format (HuggingFace): an 8-byte little-endian header length N, N bytes of
// JSON header mapping each tensor name to its dtype, shape and [begin, end) byte offsets into
// the data buffer that follows (plus an optional "__metadata__" string map), then the buffer.
// The reader checks the whole header against the file size before it allocates anything; the
// writer lays files out byte for byte as the reference implementation does. Tensor bytes are
// little-endian, as on every platform Node runs this project on.

import fs from 'node:fs';
import { Tensor, persistent, type DType } from '../tensor/index.ts';
import { writeFileAtomic } from './atomic.ts';

/** Any problem reading or writing a checkpoint; the message names the file and what is wrong. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export interface SafetensorsContents {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
const ELEMENT_BYTES = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8 } as const;
type FileDType = keyof typeof ELEMENT_BYTES;

/** One header entry, checked against the file. */
interface Entry {
  key: string;
  dtype: FileDType;
  shape: number[];
  begin: number;
  end: number;
}

// ---- reading ------------------------------------------------------------------------------

export function readSafetensors(path: string): SafetensorsContents {
  return withLayout(path, (fd, dataStart, entries, metadata) => {
    const tensors = new Map<string, Tensor>();
    for (const e of entries) tensors.set(e.key, readTensor(path, fd, dataStart, e));
    return { tensors, metadata };
  });
}

/** Checks a file's header against its size, as readSafetensors does (a truncated file fails), without reading the tensors. */
export function checkSafetensors(path: string): void {
  withLayout(path, () => undefined);
}

/** Opens the file, checks its header against its size, and hands `use` the layout. */
function withLayout<T>(path: string, use: (fd: number, dataStart: number, entries: Entry[], metadata: Record<string, string>) => T): T {
  const fd = openForReading(path);
  try {
    const fileBytes = fs.fstatSync(fd).size;
    const headerBytes = readHeaderLength(path, fd, fileBytes);
    const header = parseHeader(path, readExactly(path, fd, 8, headerBytes));
    const metadata = parseMetadata(path, header[METADATA_KEY]);
    const entries = Object.keys(header)
      .filter((key) => key !== METADATA_KEY)
      .map((key) => parseEntry(path, key, header[key], fileBytes - 8 - headerBytes));
    checkNoOverlap(path, entries);
    return use(fd, 8 + headerBytes, entries, metadata);
  } catch (e) {
    throw asCheckpointError(path, e);
  } finally {
    fs.closeSync(fd);
  }
}

function openForReading(path: string): number {
  try {
    return fs.openSync(path, 'r');
  } catch (e) {
    throw asCheckpointError(path, e);
  }
}

/** File-system errors become CheckpointErrors naming the file; anything else passes through. */
function asCheckpointError(path: string, e: unknown): unknown {
  if (e instanceof CheckpointError || !(e instanceof Error) || !('code' in e)) return e;
  if (e.code === 'ENOENT') return new CheckpointError(`${path}: file not found`);
  if (e.code === 'EISDIR') return new CheckpointError(`${path}: is a directory, not a safetensors file`);
  return new CheckpointError(`${path}: cannot read (${e.message})`);
}

function readHeaderLength(path: string, fd: number, fileBytes: number): number {
  if (fileBytes < 8) throw new CheckpointError(`${path}: file is ${fileBytes} bytes, shorter than the 8-byte header length`);
  const n = Buffer.from(readExactly(path, fd, 0, 8)).readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new CheckpointError(`${path}: header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  if (Number(n) > fileBytes - 8) throw new CheckpointError(`${path}: header length ${n} is larger than the ${fileBytes - 8} bytes after it (truncated file?)`);
  return Number(n);
}

/** Reads `length` bytes at `position`, in chunks, failing if the file ends first. */
function readExactly(path: string, fd: number, position: number, length: number, into: Uint8Array = new Uint8Array(length)): Uint8Array {
  const CHUNK = 1 << 30;
  for (let done = 0; done < length; ) {
    const got = fs.readSync(fd, into, done, Math.min(CHUNK, length - done), position + done);
    if (got === 0) throw new CheckpointError(`${path}: file ended after ${position + done} bytes while reading ${length} bytes at ${position} (truncated?)`);
    done += got;
  }
  return into;
}

function parseHeader(path: string, bytes: Uint8Array): Record<string, unknown> {
  let text: string;
  let header: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CheckpointError(`${path}: header is not valid UTF-8`);
  }
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${path}: header is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) throw new CheckpointError(`${path}: header is ${describe(header)}, not a JSON object`);
  return header;
}

function parseMetadata(path: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new CheckpointError(`${path}: "${METADATA_KEY}" is ${describe(value)}, not an object of strings`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new CheckpointError(`${path}: "${METADATA_KEY}" entry "${k}" is ${describe(v)}, not a string`);
  }
  return { ...(value as Record<string, string>) };
}

function parseEntry(path: string, key: string, value: unknown, bufferBytes: number): Entry {
  const where = `${path}: tensor "${key}"`;
  if (!isObject(value)) throw new CheckpointError(`${where} is ${describe(value)}, not an object with dtype, shape and data_offsets`);
  const dtype = parseDType(where, value.dtype);
  const shape = parseIntegers(where, 'shape', value.shape);
  const offsets = parseIntegers(where, 'data_offsets', value.data_offsets);
  if (offsets.length !== 2) throw new CheckpointError(`${where} has data_offsets ${JSON.stringify(offsets)}, expected [begin, end]`);
  const [begin, end] = offsets as [number, number];
  const needed = shape.reduce((a, b) => a * b, 1) * ELEMENT_BYTES[dtype];
  if (begin > end) throw new CheckpointError(`${where} has data_offsets [${begin}, ${end}] with begin after end`);
  if (end - begin !== needed) throw new CheckpointError(`${where} has data_offsets [${begin}, ${end}] but shape [${shape.join(', ')}] ${dtype} needs ${needed} bytes`);
  if (end > bufferBytes) throw new CheckpointError(`${where} has data_offsets [${begin}, ${end}] past the end of the ${bufferBytes}-byte data buffer (truncated file?)`);
  return { key, dtype, shape, begin, end };
}

function parseDType(where: string, value: unknown): FileDType {
  if (value === undefined) throw new CheckpointError(`${where} has no dtype`);
  if (typeof value !== 'string') throw new CheckpointError(`${where} has dtype ${describe(value)}, not a string`);
  if (!Object.hasOwn(ELEMENT_BYTES, value)) throw new CheckpointError(`${where} has dtype "${value}", which is not supported (${Object.keys(ELEMENT_BYTES).join(', ')})`);
  return value as FileDType;
}

function parseIntegers(where: string, field: string, value: unknown): number[] {
  if (value === undefined) throw new CheckpointError(`${where} has no ${field}`);
  if (!Array.isArray(value) || !value.every((v) => Number.isSafeInteger(v) && v >= 0)) {
    throw new CheckpointError(`${where} has ${field} ${describe(value)}, not an array of non-negative integers`);
  }
  return value as number[];
}

function checkNoOverlap(path: string, entries: Entry[]): void {
  const filled = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < filled.length; i++) {
    const [a, b] = [filled[i - 1]!, filled[i]!];
    if (b.begin < a.end) throw new CheckpointError(`${path}: tensor "${b.key}" data_offsets [${b.begin}, ${b.end}] overlap tensor "${a.key}" [${a.begin}, ${a.end}]`);
  }
}

function readTensor(path: string, fd: number, dataStart: number, e: Entry): Tensor {
  const n = (e.end - e.begin) / ELEMENT_BYTES[e.dtype];
  const read = <A extends ArrayBufferView>(array: A): A => {
    readExactly(path, fd, dataStart + e.begin, e.end - e.begin, new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return array;
  };
  switch (e.dtype) {
    case 'F32':
    case 'I32': {
      const t = persistent(e.shape, e.dtype === 'F32' ? 'float32' : 'int32');
      read(t.data);
      return t;
    }
    case 'F16':
      return new Tensor(halfToFloat(read(new Uint16Array(n))), e.shape, 'float32');
    case 'BF16':
      return new Tensor(bfloatToFloat(read(new Uint16Array(n))), e.shape, 'float32');
    case 'I64':
      return new Tensor(narrowInt64(`${path}: tensor "${e.key}"`, read(new BigInt64Array(n))), e.shape, 'int32');
  }
}

/** IEEE binary16 to float32, including subnormals, infinities and NaN. */
function halfToFloat(half: Uint16Array): Float32Array {
  const out = new Float32Array(half.length);
  for (let i = 0; i < half.length; i++) {
    const h = half[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) out[i] = sign * fraction * 2 ** -24;
    else if (exponent === 31) out[i] = fraction ? NaN : sign * Infinity;
    else out[i] = sign * (1024 + fraction) * 2 ** (exponent - 25);
  }
  return out;
}

/** bfloat16 is the top half of a float32. */
function bfloatToFloat(bf: Uint16Array): Float32Array {
  const out = new Float32Array(bf.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < bf.length; i++) bits[i] = bf[i]! << 16;
  return out;
}

function narrowInt64(where: string, wide: BigInt64Array): Int32Array {
  const out = new Int32Array(wide.length);
  for (let i = 0; i < wide.length; i++) {
    const v = wide[i]!;
    if (v < -0x80000000n || v > 0x7fffffffn) throw new CheckpointError(`${where} (I64) has value ${v} at index ${i}, which does not fit in int32`);
    out[i] = Number(v);
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short description of a JSON value for error messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  // JSON.parse takes any nesting depth but JSON.stringify recurses: a header value nested ~10^4
  // deep (found by test/fuzz.test.ts) made this throw a RangeError instead of the CheckpointError
  // being built. Such a value is described by its kind.
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    return Array.isArray(value) ? 'a deeply nested array' : 'a deeply nested object';
  }
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

// ---- writing ------------------------------------------------------------------------------

/** Where one tensor goes in the data buffer. */
interface Placed {
  key: string;
  tensor: Tensor;
  dtype: 'F32' | 'I32';
  begin: number;
  end: number;
}

/** Writes tensors (float32 and float64 as F32, int32 as I32) and optional metadata to `path`, atomically. */
export function writeSafetensors(path: string, tensors: Iterable<[string, Tensor]>, metadata?: Record<string, string>): void {
  const placed = layOut(sortLikeReference(collect(path, tensors)));
  const header = encodeHeader(placed, metadata && checkedMetadata(path, metadata));
  const dataBytes = placed.length ? placed[placed.length - 1]!.end : 0;
  const out = new Uint8Array(8 + header.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  for (const p of placed) {
    const at = 8 + header.length + p.begin;
    const view = p.dtype === 'I32' ? new Int32Array(out.buffer, at, p.tensor.size) : new Float32Array(out.buffer, at, p.tensor.size);
    view.set(p.tensor.data);
  }
  writeFileAtomic(path, out);
}

function collect(path: string, tensors: Iterable<[string, Tensor]>): [string, Tensor][] {
  const seen = new Set<string>();
  const list = [...tensors];
  for (const [key] of list) {
    if (key === METADATA_KEY) throw new CheckpointError(`${path}: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    if (seen.has(key)) throw new CheckpointError(`${path}: tensor "${key}" is given twice`);
    seen.add(key);
  }
  return list;
}

function checkedMetadata(path: string, metadata: Record<string, string>): Record<string, string> {
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new CheckpointError(`${path}: metadata "${k}" is ${describe(v)}, not a string`);
  }
  return metadata;
}

function fileDType(dtype: DType): 'F32' | 'I32' {
  return dtype === 'int32' ? 'I32' : 'F32';
}

/** The reference writer orders tensors by dtype, largest first (F32 before I32), then by name as UTF-8 bytes. */
function sortLikeReference(list: [string, Tensor][]): [string, Tensor][] {
  const rank = (t: Tensor) => (fileDType(t.dtype) === 'F32' ? 0 : 1);
  return list
    .map(([key, t]) => ({ key, t, bytes: Buffer.from(key, 'utf8') }))
    .sort((a, b) => rank(a.t) - rank(b.t) || Buffer.compare(a.bytes, b.bytes))
    .map(({ key, t }) => [key, t]);
}

function layOut(list: [string, Tensor][]): Placed[] {
  let offset = 0;
  return list.map(([key, tensor]) => {
    const begin = offset;
    offset += tensor.size * 4;
    return { key, tensor, dtype: fileDType(tensor.dtype), begin, end: offset };
  });
}

/** Compact JSON, metadata first, padded with spaces to a multiple of 8 bytes. */
function encodeHeader(placed: Placed[], metadata: Record<string, string> | undefined): Uint8Array {
  const fields: string[] = [];
  if (metadata) fields.push(`"${METADATA_KEY}":${stringMap(metadata)}`);
  for (const p of placed) {
    fields.push(`${JSON.stringify(p.key)}:{"dtype":"${p.dtype}","shape":[${p.tensor.shape.join(',')}],"data_offsets":[${p.begin},${p.end}]}`);
  }
  const json = Buffer.from(`{${fields.join(',')}}`, 'utf8');
  return Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, ' ')]);
}

/** A string map as compact JSON with keys in UTF-8 byte order (built by hand: JS objects put integer-like keys first). */
function stringMap(map: Record<string, string>): string {
  const keys = Object.keys(map).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(map[k])}`).join(',')}}`;
}
