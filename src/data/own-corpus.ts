// A user's own corpus (files.ts) in the token cache (shards.ts), streamed: read once, split,
// tokenised once, reused by every later run on the same content and tokenizer.
//
// Split: by document, as the built-in corpora (split.ts), with the document's text as its id: a
// document is in validation when a hash of its text falls below DEFAULT_VALIDATION_FRACTION, so
// the split is fixed (no seed to pass around), independent of paths and order, and identical
// documents always land on the same side. With `--val-data` the validation documents are those
// files' and every `--data` document trains.
//
// Cache: the key hashes the files' bytes as stored (compressed or not, in order; never their
// paths), how they are read (format, text field, sampleBy), the split rule, the tokenizer's
// fingerprint and the shard size. A corpus is hashed on every run (a fast pass over its bytes)
// and tokenised only when its key has no complete entry: CACHE/KEY/train and
// CACHE/KEY/validation, each a shard set with its manifest. An entry is built in a directory of
// its own (KEY.partial-PID-...) and renamed into place only when both splits are complete, so
// Ctrl-C, a crash or bad input found halfway leaves nothing a run could read: the partial
// directory is removed, or, when its process was killed (a second Ctrl-C quits at once), removed
// by the next run on that cache once the process is gone, which says so.
//
// Tokenizer training reads a bounded sample: the first TOKENIZER_SAMPLE_BYTES of the training
// split's documents.

import fs from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Tokenizer } from '../tokenize/index.ts';
import { processAlive } from '../io/index.ts';
import { DEFAULT_VALIDATION_FRACTION, isValidation } from './split.ts';
import { DEFAULT_SHARD_TOKENS, ShardBuilder, findTokenShards, shardKey, type TokenShards } from './shards.ts';
import { DEFAULT_READ_OPTIONS, DataError, readDocuments, resolveDataFiles, type DataFile, type ReadOptions } from './files.ts';

/** Bytes of training text a tokenizer is trained on (the first documents of the training split). */
export const TOKENIZER_SAMPLE_BYTES = 32 << 20;

export interface OwnCorpus {
  /** `--data`'s files, directories and globs, as given. */
  data: string[];
  /** `--val-data`'s: the validation documents; null to split `data`. */
  validation: string[] | null;
  read: ReadOptions;
  /** Where relative paths start (the working directory, or a spec's directory). */
  baseDir: string;
}

export interface PreparedCorpus {
  /** What the user named, for messages. */
  label: string;
  train: TokenShards;
  validation: TokenShards;
}

/** A long step's progress: bytes of the corpus done out of total. */
export type CorpusProgress = (phase: 'hashing' | 'tokenising', done: number, total: number) => void;

export interface PrepareOptions {
  shardTokens?: number;
  /** Tokens each split must hold at least (one batch of sequences); fewer is a DataError. */
  minTokens?: number;
  progress?: CorpusProgress;
  /** Aborting stops the build between documents; nothing is left in the cache. */
  signal?: AbortSignal;
  /** Told, in one line, of the half-built entries of killed runs that were removed. */
  note?: (line: string) => void;
}

export function ownCorpus(data: readonly string[], opts: { validation?: readonly string[] | null; read?: Partial<ReadOptions>; baseDir?: string } = {}): OwnCorpus {
  return { data: [...data], validation: opts.validation ? [...opts.validation] : null, read: { ...DEFAULT_READ_OPTIONS, ...opts.read }, baseDir: opts.baseDir ?? '.' };
}

/** 'corpus.jsonl' or 'a.txt b.txt' (+ ' (validation: v.txt)'). */
export function corpusLabel(c: OwnCorpus): string {
  return `${c.data.join(' ')}${c.validation ? ` (validation: ${c.validation.join(' ')})` : ''}`;
}

interface CorpusFiles {
  train: DataFile[];
  validation: DataFile[] | null;
}

function corpusFiles(c: OwnCorpus): CorpusFiles {
  return { train: resolveDataFiles(c.data, c.baseDir), validation: c.validation ? resolveDataFiles(c.validation, c.baseDir) : null };
}

/** Every document of the files, in order, with which split it belongs to. */
async function* documents(files: CorpusFiles, read: ReadOptions, onBytes: (bytes: number) => void = () => {}): AsyncGenerator<{ text: string; validation: boolean }> {
  let before = 0;
  for (const [list, fixed] of [[files.train, files.validation ? false : null], [files.validation ?? [], true]] as const) {
    for (const f of list) {
      for await (const text of readDocuments(f, read, (n) => onBytes(before + n))) yield { text, validation: fixed ?? isValidation(text) };
      before += fs.statSync(f.path).size;
    }
  }
}

/** The first `maxBytes` (UTF-8) of the training split's documents, for tokenizer training. */
export async function sampleTrainingText(c: OwnCorpus, maxBytes = TOKENIZER_SAMPLE_BYTES): Promise<string[]> {
  const out: string[] = [];
  let bytes = 0;
  for await (const d of documents(corpusFiles(c), c.read)) {
    if (d.validation) continue;
    out.push(d.text);
    bytes += Buffer.byteLength(d.text);
    if (bytes >= maxBytes) break;
  }
  if (out.length === 0) throw new DataError(`${corpusLabel(c)}: every document is in the validation split; give more documents`);
  return out;
}

/** sha256 of the files' bytes (length-prefixed, in order), how they are read and how they split. */
async function contentHash(files: CorpusFiles, read: ReadOptions, progress: (done: number) => void): Promise<string> {
  const h = createHash('sha256').update(JSON.stringify({ read, split: files.validation ? 'val-data' : DEFAULT_VALIDATION_FRACTION, validationFiles: files.validation?.length ?? 0 }));
  let done = 0;
  for (const f of [...files.train, ...(files.validation ?? [])]) {
    h.update(`\0${f.format}${f.gzip ? '.gz' : ''}:${fs.statSync(f.path).size}:`);
    for await (const chunk of fs.createReadStream(f.path, { highWaterMark: 1 << 20 })) {
      h.update(chunk as Buffer);
      progress((done += (chunk as Buffer).length));
    }
  }
  return h.digest('hex');
}

/**
 * The corpus's train and validation shards in cacheDir (see the header): found by content, or
 * built now. Throws a DataError for bad input (nothing left in the cache), an AbortError when
 * `signal` aborts.
 */
export async function prepareCorpus(c: OwnCorpus, tokenizer: Tokenizer, cacheDir: string, opts: PrepareOptions = {}): Promise<PreparedCorpus> {
  const label = corpusLabel(c);
  const files = corpusFiles(c);
  const total = [...files.train, ...(files.validation ?? [])].reduce((n, f) => n + fs.statSync(f.path).size, 0);
  const shardTokens = opts.shardTokens ?? DEFAULT_SHARD_TOKENS;
  const key = shardKey(tokenizer, await contentHash(files, c.read, (done) => (opts.signal?.throwIfAborted(), opts.progress?.('hashing', done, total))), shardTokens);
  const dir = join(cacheDir, key.slice(0, 16));
  const swept = sweepPartials(cacheDir);
  if (swept.length > 0) opts.note?.(`token cache ${cacheDir}: removed ${swept.length === 1 ? 'a half-built entry' : `${swept.length} half-built entries`} that a killed run left (${swept.join(', ')}); no run had read ${swept.length === 1 ? 'it' : 'them'}`);
  const found = findSplits(dir, key);
  if (found) return checked({ label, ...found }, opts.minTokens ?? 0, null);
  const signal = opts.signal ? { signal: opts.signal } : {};
  const partial = `${dir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const builders = { train: new ShardBuilder(join(partial, 'train'), tokenizer, { key: `${key}:train`, contentHash: key, shardTokens, ...signal }), validation: new ShardBuilder(join(partial, 'validation'), tokenizer, { key: `${key}:validation`, contentHash: key, shardTokens, ...signal }) };
    for await (const d of documents(files, c.read, (done) => opts.progress?.('tokenising', done, total))) {
      opts.signal?.throwIfAborted();
      (d.validation ? builders.validation : builders.train).add(d.text);
    }
    opts.progress?.('tokenising', total, total);
    const docs = builders.train.docCount + builders.validation.docCount;
    if (builders.validation.docCount === 0) throw new DataError(`${label}: ${docs} document${docs === 1 ? '' : 's'}, none of them in the validation split (${100 * DEFAULT_VALIDATION_FRACTION}% of documents, by a hash of the text): give more documents, or the validation documents with --val-data PATH`);
    if (builders.train.docCount === 0) throw new DataError(`${label}: every document is in the validation split; give more documents`);
    builders.train.finish();
    builders.validation.finish();
    publish(partial, dir);
  } catch (e) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw e;
  }
  const built = findSplits(dir, key);
  if (!built) throw new Error(`token cache ${dir} was changed while it was being written; run again`);
  return checked({ label, train: { ...built.train, reused: false }, validation: { ...built.validation, reused: false } }, opts.minTokens ?? 0, dir);
}

function findSplits(dir: string, key: string): { train: TokenShards; validation: TokenShards } | null {
  const train = findTokenShards(join(dir, 'train'), `${key}:train`);
  const validation = findTokenShards(join(dir, 'validation'), `${key}:validation`);
  return train && validation ? { train, validation } : null;
}

/** Moves the finished entry into place; an incomplete one there is replaced, a complete one (another process's) kept. */
function publish(partial: string, dir: string): void {
  if (fs.existsSync(dir)) fs.rmSync(dir, { recursive: true, force: true });
  try {
    fs.renameSync(partial, dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    fs.rmSync(partial, { recursive: true, force: true });
  }
}

/** Removes partial entries whose building process is gone (killed mid-build); returns their names. */
function sweepPartials(cacheDir: string): string[] {
  if (!fs.existsSync(cacheDir)) return [];
  const gone = fs.readdirSync(cacheDir).filter((name) => {
    const pid = /\.partial-(\d+)-/.exec(name)?.[1];
    return pid !== undefined && !processAlive(Number(pid));
  });
  gone.forEach((name) => fs.rmSync(join(cacheDir, name), { recursive: true, force: true }));
  return gone;
}

/** The corpus when both splits hold minTokens; else a DataError, and the entry built for it (builtDir) removed. */
function checked(p: PreparedCorpus, minTokens: number, builtDir: string | null): PreparedCorpus {
  for (const [split, shards] of [['training', p.train], ['validation', p.validation]] as const) {
    const { tokenCount, docCount } = shards.manifest;
    if (tokenCount >= minTokens) continue;
    if (builtDir) fs.rmSync(builtDir, { recursive: true, force: true });
    throw new DataError(`${p.label}: the ${split} split has ${tokenCount} tokens in ${docCount} document${docCount === 1 ? '' : 's'}, fewer than one batch of sequences (${minTokens} tokens): give more text, or a smaller --seq-len or --batch-size`);
  }
  return p;
}

/** The directory a path's cache entry lives in (for messages). */
export const cacheEntryOf = (p: PreparedCorpus): string => dirname(p.train.dir);
