// Checkpoint I/O: safetensors round trips, F16/BF16/I64 decoding against hand-encoded bytes,
// byte-exact writer output, every malformed-file error, atomic writes and checkpoint directories.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor, type Tensor } from '../src/tensor/index.ts';
import { writeFileAtomic } from '../src/io/atomic.ts';
import { CheckpointError, readSafetensors, writeSafetensors } from '../src/io/safetensors.ts';
import { loadCheckpoint, saveCheckpoint } from '../src/io/checkpoint.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'ligo-io-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let fileCount = 0;
const freshPath = (name = 'model.safetensors') => {
  const dir = join(root, `case${fileCount++}`);
  fs.mkdirSync(dir);
  return join(dir, name);
};

/** A safetensors file by hand: u64 LE header length, the header text as given, then the data bytes. */
function handFile(header: string | object, data: ArrayLike<number> = [], lengthField?: bigint): Uint8Array {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const out = Buffer.alloc(8 + text.length + data.length);
  out.writeBigUInt64LE(lengthField ?? BigInt(text.length), 0);
  text.copy(out, 8);
  out.set(data, 8 + text.length);
  return out;
}

function writeHand(bytes: Uint8Array): string {
  const path = freshPath();
  fs.writeFileSync(path, bytes);
  return path;
}

const u16le = (...values: number[]) => [...new Uint8Array(new Uint16Array(values).buffer)];
const f32le = (...values: number[]) => [...new Uint8Array(new Float32Array(values).buffer)];
const i32le = (...values: number[]) => [...new Uint8Array(new Int32Array(values).buffer)];
const i64le = (...values: bigint[]) => [...new Uint8Array(new BigInt64Array(values).buffer)];

function roundTrip(tensors: [string, Tensor][], metadata?: Record<string, string>) {
  const path = freshPath();
  writeSafetensors(path, tensors, metadata);
  return readSafetensors(path);
}

function assertTensor(actual: Tensor | undefined, dtype: string, shape: number[], values: number[]): void {
  assert.ok(actual, 'tensor missing');
  assert.equal(actual.dtype, dtype);
  assert.deepEqual([...actual.shape], shape);
  assert.deepEqual(actual.toArray(), values);
}

// ---- round trips ---------------------------------------------------------------------------

test('float32 and int32 round trip, keys and values intact', () => {
  const w = tensor([1.5, -2.25, 3e-8, 1e30, -0, 7], [2, 3]);
  const ids = tensor([0, -1, 2147483647, -2147483648], [4], 'int32');
  const { tensors, metadata } = roundTrip([['encoder.layer.0.weight', w], ['input_ids', ids]]);
  assert.deepEqual([...tensors.keys()].sort(), ['encoder.layer.0.weight', 'input_ids']);
  assertTensor(tensors.get('encoder.layer.0.weight'), 'float32', [2, 3], w.toArray());
  assertTensor(tensors.get('input_ids'), 'int32', [4], ids.toArray());
  assert.deepEqual(metadata, {});
});

test('float64 is written as F32 (rounded to float32)', () => {
  const values = [0.1, 1 / 3, -1e-40, 123456789.123];
  const { tensors } = roundTrip([['x', tensor(values, [4], 'float64')]]);
  assertTensor(tensors.get('x'), 'float32', [4], values.map(Math.fround));
});

test('scalars, zero-size tensors and metadata round trip', () => {
  const metadata = { format: 'pt', '10': 'integer-like key', 'ünï': 'cödé "quoted"\n' };
  const { tensors, metadata: back } = roundTrip(
    [
      ['scalar', tensor([2.5], [])],
      ['int_scalar', tensor([-7], [], 'int32')],
      ['empty', tensor([], [0])],
      ['empty2d', tensor([], [3, 0], 'int32')],
      ['after_empty', tensor([9], [1])],
    ],
    metadata,
  );
  assertTensor(tensors.get('scalar'), 'float32', [], [2.5]);
  assertTensor(tensors.get('int_scalar'), 'int32', [], [-7]);
  assertTensor(tensors.get('empty'), 'float32', [0], []);
  assertTensor(tensors.get('empty2d'), 'int32', [3, 0], []);
  assertTensor(tensors.get('after_empty'), 'float32', [1], [9]);
  assert.deepEqual(back, metadata);
});

test('a Map of tensors is accepted, and an empty one round trips', () => {
  const { tensors } = roundTrip([...new Map([['a', tensor([1, 2], [2])]])]);
  assertTensor(tensors.get('a'), 'float32', [2], [1, 2]);
  const path = freshPath();
  writeSafetensors(path, new Map());
  assert.equal(readSafetensors(path).tensors.size, 0);
});

// ---- dtypes read but not written -----------------------------------------------------------

test('F16 decodes normals, subnormals, signed zero, infinities and NaN', () => {
  const cases: [number, number][] = [
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x7bff, 65504],
    [0x0400, 2 ** -14], // smallest normal
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x8001, -(2 ** -24)],
    [0x0000, 0],
    [0x8000, -0],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
    [0x7e00, NaN],
    [0xfd01, NaN],
  ];
  const path = writeHand(handFile({ h: { dtype: 'F16', shape: [2, 7], data_offsets: [0, 28] } }, u16le(...cases.map((c) => c[0]))));
  const h = readSafetensors(path).tensors.get('h');
  assertTensor(h, 'float32', [2, 7], cases.map((c) => c[1]));
  assert.ok(Object.is(h!.data[9], -0), '0x8000 is negative zero');
});

test('BF16 decodes as the top half of a float32', () => {
  const cases: [number, number][] = [
    [0x3f80, 1],
    [0xc040, -3],
    [0x4049, 3.140625],
    [0x0001, 2 ** -133], // subnormal
    [0x7f80, Infinity],
    [0xff80, -Infinity],
    [0x7fc0, NaN],
  ];
  const path = writeHand(handFile({ b: { dtype: 'BF16', shape: [7], data_offsets: [0, 14] } }, u16le(...cases.map((c) => c[0]))));
  assertTensor(readSafetensors(path).tensors.get('b'), 'float32', [7], cases.map((c) => c[1]));
});

test('I64 narrows to int32 and I32 reads as is, next to other dtypes', () => {
  const header = {
    __metadata__: { format: 'pt' },
    ids: { dtype: 'I64', shape: [3], data_offsets: [0, 24] },
    mask: { dtype: 'I32', shape: [2], data_offsets: [24, 32] },
    w: { dtype: 'F32', shape: [1], data_offsets: [32, 36] },
  };
  const path = writeHand(handFile(header, [...i64le(5n, -2147483648n, 2147483647n), ...i32le(1, 0), ...f32le(0.5)]));
  const { tensors, metadata } = readSafetensors(path);
  assertTensor(tensors.get('ids'), 'int32', [3], [5, -2147483648, 2147483647]);
  assertTensor(tensors.get('mask'), 'int32', [2], [1, 0]);
  assertTensor(tensors.get('w'), 'float32', [1], [0.5]);
  assert.deepEqual(metadata, { format: 'pt' });
});

// ---- byte-exact writer ---------------------------------------------------------------------

test('writer output matches a file built by hand from the spec', () => {
  // Metadata first; then tensors by dtype, largest first (F32 before I32), then by name.
  const header =
    '{"__metadata__":{"10":"ten","format":"pt"},' +
    '"a.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
    '"z":{"dtype":"F32","shape":[],"data_offsets":[16,20]},' +
    '"b":{"dtype":"I32","shape":[2],"data_offsets":[20,28]}}';
  const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
  assert.equal(padded.length % 8, 0);
  const expected = handFile(padded, [...f32le(1, 2, 3, 4), ...f32le(-0.5), ...i32le(7, -1)]);

  const path = freshPath();
  writeSafetensors(
    path,
    [
      ['z', tensor([-0.5], [], 'float64')],
      ['b', tensor([7, -1], [2], 'int32')],
      ['a.weight', tensor([1, 2, 3, 4], [2, 2])],
    ],
    { format: 'pt', '10': 'ten' },
  );
  assert.deepEqual(new Uint8Array(fs.readFileSync(path)), new Uint8Array(expected));
});

test('writer output matches the reference implementation test vectors', () => {
  // From the safetensors crate's own serialization tests.
  const attn = freshPath();
  writeSafetensors(attn, [['attn.0', tensor([0, 1, 2, 3, 4, 5], [1, 2, 3])]]);
  const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  assert.deepEqual(new Uint8Array(fs.readFileSync(attn)), new Uint8Array(handFile(header, f32le(0, 1, 2, 3, 4, 5))));

  const empty = freshPath();
  writeSafetensors(empty, []);
  assert.deepEqual([...fs.readFileSync(empty)], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);

  const meta = freshPath();
  writeSafetensors(meta, [], { framework: 'pt' });
  assert.deepEqual(fs.readFileSync(meta).subarray(0, 8).readBigUInt64LE(0), 40n);
  assert.equal(fs.readFileSync(meta).subarray(8).toString(), '{"__metadata__":{"framework":"pt"}}     ');
});

test('writer rejects duplicate and reserved names', () => {
  const path = freshPath();
  const t = tensor([1], [1]);
  assertCheckpointError(() => writeSafetensors(path, [['a', t], ['a', t]]), path, /tensor "a" is given twice/);
  assertCheckpointError(() => writeSafetensors(path, [['__metadata__', t]]), path, /"__metadata__" is reserved/);
  assert.equal(fs.existsSync(path), false);
});

// ---- malformed files -----------------------------------------------------------------------

function assertCheckpointError(fn: () => unknown, path: string, pattern: RegExp, key?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CheckpointError, `expected a CheckpointError, got ${e}`);
    assert.ok(e.message.includes(path), `message does not name ${path}: ${e.message}`);
    if (key !== undefined) assert.ok(e.message.includes(`"${key}"`), `message does not name "${key}": ${e.message}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), `message is not one line: ${e.message}`);
    return true;
  });
}

const KEY = 'bert.embeddings.word_embeddings.weight';
const entry = (fields: object) => ({ [KEY]: fields });
const good = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };

const malformed: [string, () => Uint8Array, RegExp, string?][] = [
  ['shorter than 8 bytes', () => new Uint8Array([1, 0, 0]), /3 bytes, shorter than the 8-byte header length/],
  ['header length past the end', () => handFile('{}', [], 100n), /header length 100 is larger than the 2 bytes after it/],
  ['absurd header length', () => handFile('{}', [], 2n ** 64n - 1n), /header length 18446744073709551615 is over the 100000000-byte limit/],
  ['header not UTF-8', () => { const b = handFile('{"a"}'); b[10] = 0xff; return b; }, /header is not valid UTF-8/],
  ['header not JSON', () => handFile('{"a": '), /header is not valid JSON/],
  ['header an array', () => handFile('[1, 2]'), /header is \[1,2\], not a JSON object/],
  ['header a number', () => handFile('42'), /header is 42, not a JSON object/],
  ['metadata not an object', () => handFile({ __metadata__: 'x' }), /"__metadata__" is "x", not an object of strings/],
  ['metadata value not a string', () => handFile({ __metadata__: { step: 3 } }), /"__metadata__" entry "step" is 3, not a string/],
  ['entry not an object', () => handFile(entry([1])), /is \[1\], not an object with dtype, shape and data_offsets/, KEY],
  ['entry null', () => handFile(entry(null as unknown as object)), /is null, not an object/, KEY],
  ['no dtype', () => handFile(entry({ shape: [2], data_offsets: [0, 8] }), f32le(1, 2)), /has no dtype/, KEY],
  ['dtype not a string', () => handFile(entry({ ...good, dtype: 4 }), f32le(1, 2)), /has dtype 4, not a string/, KEY],
  ['unsupported dtype', () => handFile(entry({ ...good, dtype: 'F64' }), f32le(1, 2)), /has dtype "F64", which is not supported/, KEY],
  ['no shape', () => handFile(entry({ dtype: 'F32', data_offsets: [0, 8] }), f32le(1, 2)), /has no shape/, KEY],
  ['shape not an array', () => handFile(entry({ ...good, shape: '2' }), f32le(1, 2)), /has shape "2", not an array of non-negative integers/, KEY],
  ['negative dimension', () => handFile(entry({ ...good, shape: [-2] }), f32le(1, 2)), /has shape \[-2\]/, KEY],
  ['fractional dimension', () => handFile(entry({ ...good, shape: [2.5] }), f32le(1, 2)), /has shape \[2.5\]/, KEY],
  ['no data_offsets', () => handFile(entry({ dtype: 'F32', shape: [2] }), f32le(1, 2)), /has no data_offsets/, KEY],
  ['data_offsets not integers', () => handFile(entry({ ...good, data_offsets: ['0', '8'] }), f32le(1, 2)), /has data_offsets \["0","8"\], not an array/, KEY],
  ['data_offsets wrong length', () => handFile(entry({ ...good, data_offsets: [0, 4, 8] }), f32le(1, 2)), /has data_offsets \[0,4,8\], expected \[begin, end\]/, KEY],
  ['huge data_offsets', () => handFile(entry({ ...good, data_offsets: [0, 2 ** 60] }), f32le(1, 2)), /not an array of non-negative integers/, KEY],
  ['begin after end', () => handFile(entry({ ...good, data_offsets: [8, 0] }), f32le(1, 2)), /has data_offsets \[8, 0\] with begin after end/, KEY],
  [
    'byte length does not match the shape',
    () => handFile(entry({ dtype: 'F32', shape: [10, 20], data_offsets: [0, 400] }), new Uint8Array(800)),
    /has data_offsets \[0, 400\] but shape \[10, 20\] F32 needs 800 bytes/,
    KEY,
  ],
  ['offsets past the buffer', () => handFile(entry({ ...good, data_offsets: [8, 16] }), f32le(1, 2)), /data_offsets \[8, 16\] past the end of the 8-byte data buffer/, KEY],
  ['truncated file', () => handFile(entry({ dtype: 'F32', shape: [4], data_offsets: [0, 16] }), f32le(1, 2, 3)), /past the end of the 12-byte data buffer \(truncated file\?\)/, KEY],
  [
    'overlapping tensors',
    () => handFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, [KEY]: { dtype: 'I32', shape: [2], data_offsets: [4, 12] } }, f32le(1, 2, 3)),
    /data_offsets \[4, 12\] overlap tensor "a" \[0, 8\]/,
    KEY,
  ],
  ['I64 value out of int32 range', () => handFile(entry({ dtype: 'I64', shape: [2], data_offsets: [0, 16] }), i64le(1n, 2n ** 31n)), /\(I64\) has value 2147483648 at index 1, which does not fit in int32/, KEY],
];

for (const [name, build, pattern, key] of malformed) {
  test(`malformed file: ${name}`, () => {
    const path = writeHand(build());
    assertCheckpointError(() => readSafetensors(path), path, pattern, key);
  });
}

test('missing file and directory paths are CheckpointErrors', () => {
  const missing = join(root, 'nope.safetensors');
  assertCheckpointError(() => readSafetensors(missing), missing, /file not found/);
  assertCheckpointError(() => readSafetensors(root), root, /is a directory/);
});

// ---- atomic writes -------------------------------------------------------------------------

test('atomic write replaces the file and leaves no temporary file', () => {
  const path = freshPath('data.txt');
  writeFileAtomic(path, 'first');
  writeFileAtomic(path, new Uint8Array([104, 105]));
  assert.equal(fs.readFileSync(path, 'utf8'), 'hi');
  assert.deepEqual(fs.readdirSync(join(path, '..')), ['data.txt']);
});

test('a failed atomic write keeps the old file and removes its temporary file', (t) => {
  const path = freshPath('data.txt');
  writeFileAtomic(path, 'old');
  const fsync = t.mock.method(fs, 'fsyncSync', () => {
    throw new Error('disk full');
  });
  assert.throws(() => writeFileAtomic(path, 'new contents'), /disk full/);
  fsync.mock.restore();
  assert.equal(fs.readFileSync(path, 'utf8'), 'old');
  assert.deepEqual(fs.readdirSync(join(path, '..')), ['data.txt']);
});

test('writing over a directory fails without touching it', () => {
  const dir = freshPath('target');
  fs.mkdirSync(dir);
  fs.writeFileSync(join(dir, 'inside'), 'keep');
  assert.throws(() => writeFileAtomic(dir, 'x'));
  assert.throws(() => writeSafetensors(dir, [['a', tensor([1], [1])]]));
  assert.equal(fs.readFileSync(join(dir, 'inside'), 'utf8'), 'keep');
  assert.deepEqual(fs.readdirSync(join(dir, '..')), ['target']);
});

// ---- checkpoint directories ----------------------------------------------------------------

const config = { model_type: 'bert', hidden_size: 4, num_hidden_layers: 1, layer_norm_eps: 1e-12 };

test('checkpoint directory round trip', () => {
  const dir = join(root, 'ckpt', 'nested', 'step-10');
  const tokenizer = { model: { type: 'WordPiece', vocab: { '[PAD]': 0, hello: 1 } } };
  saveCheckpoint(dir, {
    config,
    tensors: new Map([['w', tensor([1, 2, 3, 4], [2, 2])], ['pos', tensor([0, 1], [2], 'int32')]]),
    tokenizer,
    metadata: { step: '10' },
  });
  assert.deepEqual(fs.readdirSync(dir).sort(), ['config.json', 'model.safetensors', 'tokenizer.json']);
  const loaded = loadCheckpoint(dir);
  assert.deepEqual(loaded.config, config);
  assert.deepEqual(loaded.tokenizer, tokenizer);
  assert.deepEqual(loaded.metadata, { step: '10' });
  assertTensor(loaded.tensors.get('w'), 'float32', [2, 2], [1, 2, 3, 4]);
  assertTensor(loaded.tensors.get('pos'), 'int32', [2], [0, 1]);

  const bare = join(root, 'ckpt', 'bare');
  saveCheckpoint(bare, { config, tensors: [['w', tensor([5], [1])]] });
  const loadedBare = loadCheckpoint(bare);
  assert.equal(loadedBare.tokenizer, null);
  assert.deepEqual(loadedBare.metadata, {});
});

test('a sharded checkpoint (HF save_pretrained: model.safetensors.index.json and its shards) loads whole; a broken index or shard is refused naming the file', () => {
  const dir = join(root, 'sharded');
  fs.mkdirSync(dir);
  fs.writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const index = { metadata: { total_size: 20 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' } };
  const writeIndex = (o: object) => fs.writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(o));
  writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), [['a', tensor([1, 2], [2])], ['b', tensor([3], [1])]]);
  writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), [['c', tensor([4, 5], [1, 2])]]);
  writeIndex(index);
  const loaded = loadCheckpoint(dir);
  assert.deepEqual([...loaded.tensors.keys()].sort(), ['a', 'b', 'c']);
  assertTensor(loaded.tensors.get('c'), 'float32', [1, 2], [4, 5]);
  assert.deepEqual([loaded.metadata, loaded.tokenizer], [{ total_size: '20' }, null]);

  const indexPath = join(dir, 'model.safetensors.index.json');
  writeIndex({ ...index, weight_map: { ...index.weight_map, d: 'model-00002-of-00002.safetensors' } });
  assertCheckpointError(() => loadCheckpoint(dir), indexPath, /1 listed tensor\(s\) not in their shard \(d\)/);
  writeIndex({ ...index, weight_map: { ...index.weight_map, c: 'model-00001-of-00002.safetensors', x: 'model-00002-of-00002.safetensors' } });
  assertCheckpointError(() => loadCheckpoint(dir), join(dir, 'model-00002-of-00002.safetensors'), /holds c, which model\.safetensors\.index\.json places in model-00001-of-00002\.safetensors/);
  writeIndex({ weight_map: { a: 'model-00003-of-00003.safetensors' } });
  assertCheckpointError(() => loadCheckpoint(dir), join(dir, 'model-00003-of-00003.safetensors'), /file not found \(named by model\.safetensors\.index\.json\)/);
  writeIndex({ weight_map: { a: '../elsewhere.safetensors' } });
  assertCheckpointError(() => loadCheckpoint(dir), indexPath, /expected \{"weight_map"/);
  fs.rmSync(indexPath);
  assertCheckpointError(() => loadCheckpoint(dir), join(dir, 'model.safetensors'), /file not found \(nor a sharded model\.safetensors\.index\.json\)/);
});

test('checkpoint errors name the directory or file', () => {
  const missing = join(root, 'ckpt-missing');
  assertCheckpointError(() => loadCheckpoint(missing), missing, /checkpoint directory not found/);

  const file = freshPath('not-a-dir');
  fs.writeFileSync(file, 'x');
  assertCheckpointError(() => loadCheckpoint(file), file, /not a directory/);
  assertCheckpointError(() => saveCheckpoint(join(file, 'sub'), { config, tensors: [] }), file, /cannot create checkpoint directory/);

  const dir = join(root, 'ckpt-broken');
  saveCheckpoint(dir, { config, tensors: [['w', tensor([1], [1])]], tokenizer: { a: 1 } });
  const configPath = join(dir, 'config.json');
  const modelPath = join(dir, 'model.safetensors');
  const tokenizerPath = join(dir, 'tokenizer.json');

  fs.writeFileSync(tokenizerPath, '{oops');
  assertCheckpointError(() => loadCheckpoint(dir), tokenizerPath, /invalid JSON/);
  fs.rmSync(tokenizerPath);

  fs.writeFileSync(modelPath, new Uint8Array([1, 2]));
  assertCheckpointError(() => loadCheckpoint(dir), modelPath, /shorter than the 8-byte header length/);
  fs.rmSync(modelPath);
  assertCheckpointError(() => loadCheckpoint(dir), modelPath, /file not found/);

  fs.writeFileSync(configPath, '[1, 2]');
  assertCheckpointError(() => loadCheckpoint(dir), configPath, /expected a JSON object/);
  fs.writeFileSync(configPath, '{"hidden_size": 4,');
  assertCheckpointError(() => loadCheckpoint(dir), configPath, /invalid JSON/);
  fs.rmSync(configPath);
  assertCheckpointError(() => loadCheckpoint(dir), configPath, /file not found/);

  assertCheckpointError(() => saveCheckpoint(dir, { config: [1], tensors: [] }), configPath, /config must be a JSON object/);
});
