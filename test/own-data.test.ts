// A user's own data (`--data PATH`): the readers of every format, plain and compressed, on files
// the tests write (text and Markdown by paragraph, line or document, JSON Lines, Parquet with
// snappy and gzip pages, .gz, directories, globs, several paths); every bad input as one
// DataError naming the file and line or offset; the content-keyed token cache (reuse across
// paths, 16- and 32-bit ids, --val-data, nothing left behind by bad input, Ctrl-C or a killed
// build); `ligo train` / `ligo grow` on a generated JSON Lines file through the command line; and
// experiment specs naming files.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { DataError, ShardBuilder, TokenStream, TOKENIZER_SAMPLE_BYTES, ownCorpus, prepareCorpus, readDocuments, resolveDataFiles, sampleTrainingText, type OwnCorpus, type ReadOptions } from '../src/data/index.ts';
import { HashTokenizer } from './hash-tokenizer.ts';
import { parseSpec, readSpec } from '../src/experiment/index.ts';

const LIGO = join(import.meta.dirname, '..', 'bin', 'ligo.js');
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-own-data-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let fileCount = 0;
/** Writes `content` to a fresh path ending in `name` under tmp. */
function write(name: string, content: string | Uint8Array): string {
  const dir = join(tmp, `f${fileCount++}`);
  fs.mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  fs.writeFileSync(path, content);
  return path;
}

const parquet = (columns: Record<string, unknown[]>, opts: { codec?: 'SNAPPY' | 'GZIP'; rowGroupSize?: number } = {}) =>
  new Uint8Array(
    parquetWriteBuffer({
      columnData: Object.entries(columns).map(([name, data]) => ({ name, data: data as string[] })),
      ...(opts.codec === 'GZIP' ? { codec: 'GZIP' as const, compressors: { GZIP: (b: Uint8Array) => new Uint8Array(gzipSync(b)) } } : {}),
      ...(opts.rowGroupSize ? { rowGroupSize: opts.rowGroupSize } : {}),
    }),
  );

async function docsOf(values: string[], read: Partial<ReadOptions> = {}): Promise<string[]> {
  const out: string[] = [];
  for (const f of resolveDataFiles(values)) for await (const d of readDocuments(f, { textField: 'text', sampleBy: 'paragraph', ...read })) out.push(d);
  return out;
}

/** The DataError message that reading `values` throws. */
async function dataError(values: string[], read: Partial<ReadOptions> = {}): Promise<string> {
  try {
    await docsOf(values, read);
  } catch (e) {
    assert.ok(e instanceof DataError, `not a DataError: ${(e as Error).stack}`);
    assert.ok(!(e as Error).message.includes('\n'), 'one line');
    return (e as Error).message;
  }
  assert.fail(`reading ${values.join(' ')} did not fail`);
}

const TEXT = 'First paragraph,\nhard-wrapped.\n\n\nSecond one: caf\u00e9.\r\n\r\nThird.';
const JSONL = `${JSON.stringify({ text: 'doc one', id: 1 })}\n\n${JSON.stringify({ text: 'doc two', body: 'b' })}\n`;

test('text and Markdown: paragraphs (default), lines or whole documents; CRLF, BOM and blank lines handled; .gz the same', async () => {
  const txt = write('a.txt', `\uFEFF${TEXT}`);
  const paragraphs = ['First paragraph,\nhard-wrapped.', 'Second one: caf\u00e9.', 'Third.'];
  assert.deepEqual(await docsOf([txt]), paragraphs);
  assert.deepEqual(await docsOf([write('a.md', TEXT)]), paragraphs);
  assert.deepEqual(await docsOf([write('a.txt.gz', gzipSync(TEXT))]), paragraphs);
  assert.deepEqual(await docsOf([txt], { sampleBy: 'line' }), ['First paragraph,', 'hard-wrapped.', 'Second one: caf\u00e9.', 'Third.']);
  assert.deepEqual(await docsOf([txt], { sampleBy: 'document' }), [TEXT]);
});

test('a character split across read chunks decodes whole; a long line spanning chunks stays one line', async () => {
  const line = `${'\u00e9'.repeat(700_000)}x`; // 1.4 MB: crosses the 1 MB chunks, some boundary inside a 2-byte character
  const path = write('long.txt', `${line}\nend`);
  assert.deepEqual(await docsOf([path], { sampleBy: 'line' }), [line, 'end']);
});

test('JSON Lines (.jsonl, .json, .ndjson, .gz): the text field, or another with textField', async () => {
  assert.deepEqual(await docsOf([write('b.jsonl', JSONL)]), ['doc one', 'doc two']);
  assert.deepEqual(await docsOf([write('b.json', JSONL)]), ['doc one', 'doc two']);
  assert.deepEqual(await docsOf([write('b.ndjson.gz', gzipSync(JSONL))]), ['doc one', 'doc two']);
  const other = write('c.jsonl', `${JSON.stringify({ content: 'x y' })}\n${JSON.stringify({ content: 'z' })}\n`);
  assert.deepEqual(await docsOf([other], { textField: 'content' }), ['x y', 'z']);
});

test('a .json file holding one JSON array of records, read element by element (also .gz, across read chunks)', async () => {
  const records = [{ text: 'first, with [brackets] and {braces}', id: 1 }, { text: 'quote " and \\ backslash' }, { meta: { nested: [1, 2] }, text: 'third' }];
  assert.deepEqual(await docsOf([write('arr.json', `  \n${JSON.stringify(records, null, 2)}\n`)]), records.map((r) => r.text));
  assert.deepEqual(await docsOf([write('arr.json.gz', gzipSync(JSON.stringify(records)))]), records.map((r) => r.text));
  const long = Array.from({ length: 3 }, (_, i) => ({ text: `${'\u00e9'.repeat(400_000)}${i}` })); // 2.4 MB: elements cross the 1 MB chunks
  assert.deepEqual(await docsOf([write('long.json', JSON.stringify(long))]), long.map((r) => r.text));
  assert.deepEqual(await docsOf([write('lines.json', JSONL)]), ['doc one', 'doc two'], 'a .json file of JSON Lines is still read as lines');
  assert.match(await dataError([write('arr-bad.json', '[{"text":"a"}, {"text": oops}]')]), /arr-bad\.json: element 2 of its JSON array is not JSON \(.*\)$/);
  assert.match(await dataError([write('arr-field.json', '[{"text":"a"}, {"body":"b"}]')]), /arr-field\.json: element 2 of its JSON array has no "text" field; name the text field with --text-field$/);
  assert.match(await dataError([write('arr-cut.json', '[{"text":"a"}, {"text":"b"')]), /arr-cut\.json: its JSON array never ends \(the file is cut short\?\)$/);
  assert.match(await dataError([write('arr-after.json', '[{"text":"a"}] {"text":"b"}')]), /arr-after\.json: text after the end of its JSON array$/);
});

test('Parquet: the text column (or another), across row groups, snappy and gzip pages', async () => {
  const texts = Array.from({ length: 25 }, (_, i) => `row ${i}`);
  assert.deepEqual(await docsOf([write('d.parquet', parquet({ text: texts, id: texts.map((_, i) => i) }, { rowGroupSize: 10 }))]), texts);
  assert.deepEqual(await docsOf([write('e.parquet', parquet({ text: texts }, { codec: 'GZIP' }))]), texts);
  assert.deepEqual(await docsOf([write('f.parquet', parquet({ content: ['a', 'b'] }))], { textField: 'content' }), ['a', 'b']);
});

test('directories (recursive, hidden entries skipped), globs and several paths, each file once, sorted within a directory or glob', async () => {
  const root = join(tmp, 'tree');
  fs.mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  fs.mkdirSync(join(root, '.hidden'));
  fs.writeFileSync(join(root, 'b.txt'), 'bee');
  fs.writeFileSync(join(root, 'a.md'), 'ay');
  fs.writeFileSync(join(root, 'sub', 'deeper', 'c.jsonl'), '{"text":"see"}\n');
  fs.writeFileSync(join(root, 'sub', 'notes.csv'), 'not ours');
  fs.writeFileSync(join(root, '.hidden', 'x.txt'), 'hidden');
  assert.deepEqual(await docsOf([root]), ['ay', 'bee', 'see']);
  assert.deepEqual(await docsOf([join(root, '**/*.{txt,jsonl}')]), ['bee', 'see']);
  assert.deepEqual(await docsOf([join(root, 'b.txt'), root]), ['bee', 'ay', 'see'], 'a file named twice is read once');
});

test('bad input: one DataError line naming the file and the line, row or byte offset', async () => {
  const missing = join(tmp, 'nope.jsonl');
  assert.equal(await dataError([missing]), `${missing}: no such file or directory`);
  assert.match(await dataError([write('empty.txt', '')]), /empty\.txt: empty file$/);
  assert.match(await dataError([write('blank.txt', '\n \n\t\n')]), /blank\.txt: no documents \(the file holds only blank text\)$/);
  assert.match(await dataError([write('bad.jsonl', '{"text":"ok"}\n{"text": oops}\n')]), /bad\.jsonl: line 2 is not JSON \(.*\); expected one object per line$/);
  assert.match(await dataError([write('nofield.jsonl', '{"text":"ok"}\n\n{"body":"x"}\n')]), /nofield\.jsonl: line 3 has no "text" field; name the text field with --text-field$/);
  assert.match(await dataError([write('num.jsonl', '{"text":5}\n')]), /num\.jsonl: line 1: "text" is number, not a string$/);
  assert.match(await dataError([write('nocol.parquet', parquet({ body: ['x'], id: [1] }))]), /nocol\.parquet: no column "text" \(it has body, id\); name the text column with --text-field$/);
  assert.match(await dataError([write('fake.parquet', 'not parquet at all')]), /fake\.parquet: not a Parquet file/);
  assert.match(await dataError([write('latin1.txt', Buffer.from([0x61, 0x62, 0x0a, 0x63, 0xe9, 0x64]))]), /latin1\.txt: not UTF-8 at byte offset 4; convert the file to UTF-8$/);
  assert.match(await dataError([write('latin1.txt.gz', gzipSync(Buffer.concat([Buffer.from('x'.repeat(3_000_000)), Buffer.from([0xff])])))]), /latin1\.txt\.gz: not UTF-8 at byte offset 3000000 of its decompressed text/);
  assert.match(await dataError([write('cut.txt', Buffer.from([0x61, 0xc3]))]), /cut\.txt: not UTF-8 at byte offset 1;/);
  assert.match(await dataError([write('junk.txt.gz', 'not gzip')]), /junk\.txt\.gz: not valid gzip data/);
  assert.match(await dataError([write('data.csv', 'a,b')]), /data\.csv: unsupported file type; expected \.txt, \.md/);
  assert.match(await dataError([write('x.parquet.gz', gzipSync(parquet({ text: ['a'] })))]), /x\.parquet\.gz: a gzip-compressed Parquet file; .*gunzip it first$/);
  const empty = join(tmp, 'empty-dir');
  fs.mkdirSync(join(empty, 'sub'), { recursive: true });
  fs.writeFileSync(join(empty, 'sub', 'readme.csv'), 'x');
  assert.match(await dataError([empty]), /empty-dir: a directory with no \.txt, .* file in it$/);
  assert.match(await dataError([join(tmp, 'nothing-*.jsonl')]), /nothing-\*\.jsonl: no .* file matches this pattern$/);
});

/** Paragraph documents of random words: `n` of them, `words` long. */
function corpusText(n: number, words: number, seed = 1): string {
  let r = seed;
  const word = () => `w${(r = (Math.imul(r, 1103515245) + 12345) >>> 0) % 3000}`;
  return Array.from({ length: n }, () => Array.from({ length: words }, word).join(' ')).join('\n\n');
}

const cacheEntries = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

test('the cache: built once, keyed by content (not path) and tokenizer; split by document; 16-bit ids, 32-bit past 65,535', async () => {
  const cache = join(tmp, 'cache-key');
  const text = corpusText(400, 20);
  const a = ownCorpus([write('a.txt', text)]);
  const tok = new HashTokenizer();
  const first = await prepareCorpus(a, tok, cache);
  assert.equal(first.train.reused, false);
  assert.equal(first.train.manifest.dtype, 'uint16');
  const { train, validation } = first;
  assert.equal(train.manifest.docCount + validation.manifest.docCount, 400);
  assert.ok(validation.manifest.docCount >= 5 && validation.manifest.docCount <= 40, `validation has ${validation.manifest.docCount} of 400 documents`);
  assert.equal(train.manifest.tokenCount + validation.manifest.tokenCount, 400 * 21, 'each document: its 20 tokens and a separator');
  const moved = await prepareCorpus(ownCorpus([write('renamed.txt.gz', gzipSync(text))]), tok, cache);
  assert.equal(moved.train.reused, false, 'the same text compressed is other bytes');
  const copy = await prepareCorpus(ownCorpus([write('elsewhere.txt', text)]), tok, cache);
  assert.equal(copy.train.reused, true, 'the same bytes at another path reuse the cache');
  assert.equal(copy.train.dir, train.dir);
  assert.equal((await prepareCorpus(a, new HashTokenizer(999), cache)).train.reused, false, 'another tokenizer');
  assert.equal((await prepareCorpus(ownCorpus([write('b.txt', `${text}\n\nmore`)]), tok, cache)).train.reused, false, 'other content');
  const wide = await prepareCorpus(a, new HashTokenizer(70_000), cache);
  assert.equal(wide.train.manifest.dtype, 'int32');
  const stream = new TokenStream(wide.train, { windowLength: 21, batchSize: 1 });
  assert.ok(stream.window(0).tokens.every((id) => id < 70_000));
  stream.close();
  assert.equal(cacheEntries(cache).filter((e) => e.includes('partial')).length, 0);
});

test('--val-data: its documents validate and every --data document trains; the split rule is part of the key', async () => {
  const cache = join(tmp, 'cache-val');
  const data = write('t.jsonl', corpusText(50, 10).split('\n\n').map((t) => JSON.stringify({ text: t })).join('\n'));
  const val = write('v.txt', corpusText(3, 10, 7));
  const p = await prepareCorpus(ownCorpus([data], { validation: [val] }), new HashTokenizer(), cache);
  assert.equal(p.train.manifest.docCount, 50);
  assert.equal(p.validation.manifest.docCount, 3);
  assert.equal((await prepareCorpus(ownCorpus([data]), new HashTokenizer(), cache)).train.reused, false);
});

test('the tokenizer sample is the training split\'s first documents, bounded in bytes', async () => {
  const path = write('s.txt', corpusText(300, 10));
  const all = await sampleTrainingText(ownCorpus([path]));
  const split = await prepareCorpus(ownCorpus([path]), new HashTokenizer(), join(tmp, 'cache-sample'));
  assert.equal(all.length, split.train.manifest.docCount, 'the whole training split, when it is under the bound');
  const few = await sampleTrainingText(ownCorpus([path]), 200);
  assert.ok(few.length >= 3 && few.length <= 5 && few.every((d, i) => d === all[i]), `${few.length} documents`);
  assert.equal(TOKENIZER_SAMPLE_BYTES, 32 << 20);
});

test('bad input, a corpus too small to split or shorter than a batch, Ctrl-C, a killed build: nothing left in the cache', async () => {
  const cache = join(tmp, 'cache-bad');
  const tok = new HashTokenizer();
  const good = corpusText(200, 10).split('\n\n').map((t) => JSON.stringify({ text: t }));
  const bad = write('late.jsonl', [...good, '{"oops"'].join('\n'));
  await assert.rejects(prepareCorpus(ownCorpus([bad]), tok, cache), (e: Error) => e instanceof DataError && /late\.jsonl: line 201 is not JSON/.test(e.message));
  await assert.rejects(prepareCorpus(ownCorpus([write('one.txt', 'a single document')]), tok, cache), /one\.txt: 1 document, none of them in the validation split .*--val-data PATH$/);
  const small = ownCorpus([write('small.txt', corpusText(200, 3))]);
  await assert.rejects(prepareCorpus(small, tok, cache, { minTokens: 64 * 128 }), /small\.txt: the training split has \d+ tokens in \d+ documents, fewer than one batch of sequences \(8192 tokens\)/);
  const stop = new AbortController();
  stop.abort('SIGINT');
  await assert.rejects(prepareCorpus(ownCorpus([write('stopped.txt', corpusText(50, 5))]), tok, cache, { signal: stop.signal }), (e) => e === 'SIGINT');
  const dead = join(cache, 'abcdef0123456789.partial-999999999-00000000');
  fs.mkdirSync(join(dead, 'train'), { recursive: true });
  await prepareCorpus(small, tok, cache);
  assert.deepEqual(cacheEntries(cache).length, 1, `only the good entry: ${cacheEntries(cache).join(', ')}`);
});

test('a document longer than a piece is tokenised in pieces cut at line breaks, with the same tokens', async () => {
  const dir = join(tmp, 'pieces');
  const tok = new HashTokenizer();
  const long = Array.from({ length: 150_000 }, (_, i) => `word${i % 97} w${i % 13}`).join('\n'); // ~1.8 M characters
  const b = new ShardBuilder(dir, tok, { key: 'k', contentHash: 'c', shardTokens: 1 << 20 });
  b.add(long);
  const m = b.finish();
  assert.equal(m.tokenCount, tok.encode(long).length + 1);
  const stream = new TokenStream({ dir, manifest: m, reused: false }, { windowLength: m.tokenCount - 1, batchSize: 1 });
  assert.deepEqual([...stream.window(0).tokens], tok.encode(long));
  stream.close();
});

function ligo(args: string[], cwd = tmp) {
  return spawnSync(process.execPath, [LIGO, ...args], { cwd, encoding: 'utf8', env: { ...process.env, LIGO_BACKEND: 'reference', LIGO_TOKEN_CACHE: join(tmp, 'cli-cache') } });
}
const TINY = ['--steps', '1', '--batch-size', '2', '--seq-len', '16', '--eval-batches', '1'];

test('ligo train and ligo grow on a generated JSON Lines file: trained, cached once, reused by the next run and by growth', () => {
  const data = write('corpus.jsonl', corpusText(300, 12).split('\n\n').map((t) => JSON.stringify({ text: t })).join('\n'));
  const first = ligo(['train', '--config', 'bert-tiny', '--data', data, '--out', 'cli-run', ...TINY]);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /training a WordPiece tokenizer .* on the first 32 MB of .*corpus\.jsonl's training split/);
  assert.match(first.stderr, /cached .*corpus\.jsonl: [\d,]+ training and [\d,]+ validation tokens/);
  assert.match(first.stdout, /^done: step 1/);
  const again = ligo(['train', '--config', 'bert-tiny', '--data', data, '--tokenizer', 'cli-run/tokenizer.json', '--out', 'cli-run2', ...TINY]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /reusing .*corpus\.jsonl/, 'same text, same tokenizer: the cache is reused');
  const resumed = ligo(['train', '--out', 'cli-run', '--steps', '2', '--allow-change']); // more steps stretch the linear decay
  assert.equal(resumed.status, 0, resumed.stderr);
  const grown = ligo(['grow', '--from', 'cli-run', '--method', 'ligo', '--layers', '4', '--data', data, '--option', 'steps=1', '--batch-size', '2', '--seq-len', '16', '--out', 'cli-grown']);
  assert.equal(grown.status, 0, grown.stderr);
  assert.match(grown.stderr, /reusing .*corpus\.jsonl/);
});

test('ligo train on bad data: exit 2, one line naming the file (and line or offset), no run directory, nothing cached', () => {
  const cache = join(tmp, 'cli-cache');
  const before = cacheEntries(cache);
  const lines = corpusText(200, 12).split('\n\n').map((t) => JSON.stringify({ text: t }));
  const cases: [string[], RegExp][] = [
    [[join(tmp, 'missing.txt')], /missing\.txt: no such file or directory$/],
    [[write('empty.jsonl', '')], /empty\.jsonl: empty file$/],
    [[write('notjson.jsonl', [...lines, 'text: no'].join('\n'))], /notjson\.jsonl: line 201 is not JSON/],
    [[write('nofield.jsonl', [...lines.slice(0, 5), '{"body":"x"}'].join('\n'))], /nofield\.jsonl: line 6 has no "text" field/],
    [[write('nocol.parquet', parquet({ body: ['x'] }))], /nocol\.parquet: no column "text"/],
    [[write('latin1.md', Buffer.from('caf\xe9', 'latin1'))], /latin1\.md: not UTF-8 at byte offset 3/],
    [[write('short.jsonl', lines.map((l) => l.replace(/"text":"([^ ]+)[^"]*"/, '"text":"$1"')).join('\n'))], /short\.jsonl: the (training|validation) split has \d+ tokens .* fewer than one batch of sequences \(32 tokens\)/],
    [[write('single.txt', 'just one paragraph')], /single\.txt: 1 document, none of them in the validation split/],
  ];
  for (const [data, message] of cases) {
    const r = ligo(['train', '--config', 'bert-tiny', '--data', ...data, '--out', 'bad-run', ...TINY]);
    assert.equal(r.status, 2, `${data}: exit ${r.status}\n${r.stderr}`);
    const last = r.stderr.trim().split('\n').at(-1)!;
    assert.match(last, /^ligo train: error: /);
    assert.match(last, message);
    assert.ok(!r.stderr.includes('    at '), 'no stack trace');
    assert.ok(!fs.existsSync(join(tmp, 'bad-run')), `${data}: the run directory is removed`);
    assert.deepEqual(cacheEntries(cache), before, `${data}: nothing cached`);
  }
  const named = ligo(['train', '--config', 'bert-tiny', '--data', 'sotu', '--text-field', 'body', '--out', 'bad-run', ...TINY]);
  assert.equal(named.status, 2);
  assert.match(named.stderr, /--text-field is for your own files; --data sotu is a built-in dataset/);
});

test('experiment specs: "data" as files relative to the spec (a path, a list, or an object with validation, textField, sampleBy); ligo experiment runs on them', () => {
  const dir = join(tmp, 'spec-dir');
  fs.mkdirSync(join(dir, 'data'), { recursive: true });
  fs.writeFileSync(join(dir, 'data', 'corpus.jsonl'), corpusText(300, 12).split('\n\n').map((t) => JSON.stringify({ body: t })).join('\n'));
  const tiny = { steps: 1, batchSize: 2, warmupSteps: 0, evalEvery: 1, saveEvery: 1 };
  const spec = { name: 'own', data: { files: 'data/*.jsonl', textField: 'body' }, tokenizer: { vocabSize: 512 }, seqLen: 16, evalBatches: 1, small: { config: 'bert-tiny', training: tiny }, large: { config: 'bert-4L-256H', training: tiny }, methods: [{ name: 'scratch' }, { name: 'bert2bert-fpi' }] };
  fs.writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  const parsed = readSpec(join(dir, 'spec.json'));
  assert.ok(typeof parsed.data !== 'string');
  assert.deepEqual({ ...parsed.data, baseDir: undefined }, { data: ['data/*.jsonl'], validation: null, read: { textField: 'body', sampleBy: 'paragraph' }, baseDir: undefined });
  assert.equal(parsed.data.baseDir, dir);
  assert.equal((parseSpec({ ...spec, data: 'sotu' }).data), 'sotu');
  assert.deepEqual((parseSpec({ ...spec, data: ['a.txt', 'b.md'] }).data as OwnCorpus).data, ['a.txt', 'b.md']);
  assert.throws(() => parseSpec({ ...spec, data: { files: [] } }), /spec\.data\.files: must be a path or a non-empty list of paths/);
  assert.throws(() => parseSpec({ ...spec, data: { files: 'a.txt', field: 'x' } }), /spec\.data/);
  const r = ligo(['experiment', join(dir, 'spec.json'), '--out', 'own-exp']); // from tmp: the paths are the spec's own
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /cached .*data\/\*\.jsonl/);
  assert.match(r.stdout, /\| bert2bert-fpi \|/);
});
