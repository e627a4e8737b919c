// Token cache: documents are tokenised once into binary shards (little-endian Uint16 when the
// vocabulary fits, else Int32) plus manifest.json, under cacheDir/<key>/ where the key hashes
// the tokenizer's fingerprint, the documents' ids and texts, and the shard size. Same inputs
// find their manifest and reuse the shards; different inputs get a different key and so can
// never read a stale cache. Every file is written atomically and the manifest last, so an
// interrupted build leaves no manifest and is simply rebuilt. Each document's tokens are
// followed by the tokenizer's separator (sep, else eos); shards split the concatenated
// sequence at fixed token counts, regardless of document boundaries.
//
// ShardBuilder is the streaming half: documents are added one at a time (a long one is encoded
// in pieces cut at line breaks, so memory stays bounded), and finish() writes the manifest. The
// built-in corpora go through buildTokenShards; a user's files (own-corpus.ts) through the
// builder directly, keyed by their content.

import fs from 'node:fs';
import os from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/index.ts';
import type { Tokenizer } from '../tokenize/index.ts';

const FORMAT = 1;
/**
 * Part of the cache key beside the tokenizer's JSON: bumped when the same tokenizer.json encodes
 * some text differently, so shards tokenised before are not reused. 2 (2026-12-06): ByteLevel's
 * regex reads \s as HF (Oniguruma) does (U+0085, U+FEFF), and a merge listed twice takes its last rank.
 */
const ENCODING = 2;

export type ShardDType = 'uint16' | 'int32';

export interface ShardManifest {
  format: number;
  key: string;
  tokenizerFingerprint: string;
  contentHash: string;
  vocabSize: number;
  separatorId: number;
  dtype: ShardDType;
  shardTokens: number;
  docCount: number;
  tokenCount: number;
  shards: { file: string; tokens: number }[];
}

export interface TokenShards {
  dir: string;
  manifest: ShardManifest;
  /** True when an existing cache was found and nothing was tokenised. */
  reused: boolean;
}

export function bytesPerToken(dtype: ShardDType): number {
  return dtype === 'uint16' ? 2 : 4;
}

/** sha256 of the tokenizer's kind, vocabulary size and full HuggingFace JSON. */
export function tokenizerFingerprint(tokenizer: Tokenizer): string {
  return createHash('sha256').update(`${tokenizer.kind}\0${tokenizer.vocabSize}\0`).update(JSON.stringify(tokenizer.toJSON())).digest('hex');
}

/** sha256 over each document's id and text, length-prefixed so no two lists collide. */
export function documentsHash(docs: readonly { id: string; text: string }[]): string {
  const h = createHash('sha256');
  for (const d of docs) {
    for (const s of [d.id, d.text]) {
      const b = Buffer.from(s, 'utf8');
      h.update(`${b.length}:`).update(b);
    }
  }
  return h.digest('hex');
}

export function separatorId(tokenizer: Tokenizer): number {
  const id = tokenizer.special.sep ?? tokenizer.special.eos;
  if (id === undefined) throw new Error(`tokenizer (${tokenizer.kind}) has neither a sep nor an eos token to separate documents`);
  return id;
}

export function buildTokenShards(docs: readonly { id: string; text: string }[], tokenizer: Tokenizer, cacheDir: string, opts: { shardTokens?: number; signal?: AbortSignal } = {}): TokenShards {
  const shardTokens = opts.shardTokens ?? DEFAULT_SHARD_TOKENS;
  const contentHash = documentsHash(docs);
  const key = shardKey(tokenizer, contentHash, shardTokens);
  const dir = join(cacheDir, key.slice(0, 16));
  const cached = findTokenShards(dir, key);
  if (cached) return cached;
  try {
    const builder = new ShardBuilder(dir, tokenizer, { key, contentHash, shardTokens, ...(opts.signal ? { signal: opts.signal } : {}) });
    for (const d of docs) builder.add(d.text);
    return { dir, manifest: builder.finish(), reused: false };
  } catch (e) {
    if (opts.signal?.aborted) fs.rmSync(dir, { recursive: true, force: true }); // stopped: nothing cached
    throw e;
  }
}

export const DEFAULT_SHARD_TOKENS = 1 << 22;

/** The cache key of a content hash tokenised by `tokenizer` into shards of shardTokens. */
export function shardKey(tokenizer: Tokenizer, contentHash: string, shardTokens: number): string {
  if (!Number.isInteger(shardTokens) || shardTokens < 1) throw new RangeError(`token shards: shardTokens must be a positive integer, got ${shardTokens}`);
  return createHash('sha256').update(JSON.stringify({ FORMAT, ENCODING, tokenizerFp: tokenizerFingerprint(tokenizer), contentHash, shardTokens })).digest('hex');
}

/** The complete cache in dir built under key (reused: true), or null. */
export function findTokenShards(dir: string, key: string): TokenShards | null {
  const manifest = readValidManifest(dir, key);
  return manifest ? { dir, manifest, reused: true } : null;
}

/** Characters of a document encoded at once; a longer one is cut at a line break (or here). */
const PIECE_CHARS = 1 << 20;

/** Tokenises documents one at a time into dir's shard files; finish() writes the manifest, last. */
export class ShardBuilder {
  private readonly writer: ShardWriter;
  private readonly sep: number;
  private docs = 0;
  private tokens = 0;

  constructor(
    private readonly dir: string,
    private readonly tokenizer: Tokenizer,
    private readonly meta: { key: string; contentHash: string; shardTokens: number; signal?: AbortSignal },
  ) {
    this.sep = separatorId(tokenizer);
    fs.mkdirSync(dir, { recursive: true });
    const dtype: ShardDType = tokenizer.vocabSize <= 65535 ? 'uint16' : 'int32';
    this.writer = new ShardWriter(dir, dtype, meta.shardTokens, tokenizer.vocabSize);
  }

  /** Tokens written so far, separators included. */
  get tokenCount(): number {
    return this.tokens;
  }

  get docCount(): number {
    return this.docs;
  }

  /** Appends a document's tokens and the separator; throws the abort reason once meta.signal aborts (checked before every piece). */
  add(text: string): void {
    for (let at = 0; at < text.length; ) {
      this.meta.signal?.throwIfAborted();
      const end = pieceEnd(text, at);
      this.tokens += this.writer.push(this.tokenizer.encode(text.slice(at, end)));
      at = end;
    }
    this.tokens += this.writer.push([this.sep]);
    this.docs++;
  }

  finish(): ShardManifest {
    const shards = this.writer.finish();
    const manifest: ShardManifest = {
      format: FORMAT,
      key: this.meta.key,
      tokenizerFingerprint: tokenizerFingerprint(this.tokenizer),
      contentHash: this.meta.contentHash,
      vocabSize: this.tokenizer.vocabSize,
      separatorId: this.sep,
      dtype: this.writer.dtype,
      shardTokens: this.meta.shardTokens,
      docCount: this.docs,
      tokenCount: this.tokens,
      shards,
    };
    writeFileAtomic(join(this.dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
    return manifest;
  }
}

/** Where the piece of text starting at `at` ends: PIECE_CHARS on, moved back to just after a line break when there is one. */
function pieceEnd(text: string, at: number): number {
  if (text.length - at <= PIECE_CHARS) return text.length;
  const nl = text.lastIndexOf('\n', at + PIECE_CHARS);
  return nl > at ? nl + 1 : at + PIECE_CHARS;
}

/** The manifest in dir if it matches key and every shard file has its expected size; else null. */
function readValidManifest(dir: string, key: string): ShardManifest | null {
  let m: ShardManifest;
  try {
    m = JSON.parse(fs.readFileSync(join(dir, 'manifest.json'), 'utf8')) as ShardManifest;
  } catch {
    return null;
  }
  if (m.format !== FORMAT || m.key !== key) return null;
  const complete = m.shards.every((s) => {
    const path = join(dir, s.file);
    return fs.existsSync(path) && fs.statSync(path).size === s.tokens * bytesPerToken(m.dtype);
  });
  return complete ? m : null;
}

/** Accumulates token ids and writes a shard file each time shardTokens have been collected. */
class ShardWriter {
  private readonly ids: Uint16Array | Int32Array;
  private fill = 0;
  private readonly shards: { file: string; tokens: number }[] = [];

  constructor(
    private readonly dir: string,
    readonly dtype: ShardDType,
    private readonly shardTokens: number,
    private readonly vocabSize: number,
  ) {
    this.ids = dtype === 'uint16' ? new Uint16Array(shardTokens) : new Int32Array(shardTokens);
  }

  /** Appends ids; returns how many. */
  push(ids: readonly number[]): number {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new RangeError(`tokenizer produced id ${id}, outside its vocabulary of ${this.vocabSize}`);
      this.ids[this.fill] = id;
      if (++this.fill === this.shardTokens) this.flush();
    }
    return ids.length;
  }

  finish(): { file: string; tokens: number }[] {
    if (this.fill > 0) this.flush();
    return this.shards;
  }

  private flush(): void {
    const file = `shard-${String(this.shards.length).padStart(5, '0')}.bin`;
    const bytes = Buffer.from(this.ids.buffer, 0, this.fill * this.ids.BYTES_PER_ELEMENT);
    if (os.endianness() === 'BE') void (this.dtype === 'uint16' ? bytes.swap16() : bytes.swap32()); // the files are little-endian
    writeFileAtomic(join(this.dir, file), bytes);
    this.shards.push({ file, tokens: this.fill });
    this.fill = 0;
  }
}
