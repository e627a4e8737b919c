// Token cache: documents are tokenised once into binary shards (little-endian Uint16 when the
// vocabulary fits, else Int32) plus manifest.json, under cacheDir/<key>/ where the key hashes
// the tokenizer's fingerprint, the documents' ids and texts, and the shard size. Same inputs
// find their manifest and reuse the shards; different inputs get a different key and so can
// never read a stale cache. Every file is written atomically and the manifest last, so an
// interrupted build leaves no manifest and is simply rebuilt. Each document's tokens are
// followed by the tokenizer's separator (sep, else eos); shards split the concatenated
// sequence at fixed token counts, regardless of document boundaries.

import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import type { Tokenizer } from '../tokenize/types.ts';

const FORMAT = 1;

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

export function buildTokenShards(docs: readonly { id: string; text: string }[], tokenizer: Tokenizer, cacheDir: string, opts: { shardTokens?: number } = {}): TokenShards {
  const shardTokens = opts.shardTokens ?? 1 << 22;
  if (!Number.isInteger(shardTokens) || shardTokens < 1) throw new RangeError(`buildTokenShards: shardTokens must be a positive integer, got ${shardTokens}`);
  const tokenizerFp = tokenizerFingerprint(tokenizer);
  const contentHash = documentsHash(docs);
  const key = createHash('sha256').update(JSON.stringify({ FORMAT, tokenizerFp, contentHash, shardTokens })).digest('hex');
  const dir = join(cacheDir, key.slice(0, 16));
  const cached = readValidManifest(dir, key);
  if (cached) return { dir, manifest: cached, reused: true };

  fs.mkdirSync(dir, { recursive: true });
  const dtype: ShardDType = tokenizer.vocabSize <= 65535 ? 'uint16' : 'int32';
  const writer = new ShardWriter(dir, dtype, shardTokens, tokenizer.vocabSize);
  const sep = separatorId(tokenizer);
  for (const d of docs) {
    writer.push(tokenizer.encode(d.text));
    writer.push([sep]);
  }
  const shards = writer.finish();
  const manifest: ShardManifest = {
    format: FORMAT,
    key,
    tokenizerFingerprint: tokenizerFp,
    contentHash,
    vocabSize: tokenizer.vocabSize,
    separatorId: sep,
    dtype,
    shardTokens,
    docCount: docs.length,
    tokenCount: shards.reduce((a, s) => a + s.tokens, 0),
    shards,
  };
  writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
  return { dir, manifest, reused: false };
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
  private readonly buf: Buffer;
  private fill = 0;
  private readonly shards: { file: string; tokens: number }[] = [];
  private readonly width: number;

  constructor(
    private readonly dir: string,
    private readonly dtype: ShardDType,
    private readonly shardTokens: number,
    private readonly vocabSize: number,
  ) {
    this.width = bytesPerToken(dtype);
    this.buf = Buffer.alloc(shardTokens * this.width);
  }

  push(ids: readonly number[]): void {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new RangeError(`tokenizer produced id ${id}, outside its vocabulary of ${this.vocabSize}`);
      if (this.dtype === 'uint16') this.buf.writeUInt16LE(id, this.fill * 2);
      else this.buf.writeInt32LE(id, this.fill * 4);
      if (++this.fill === this.shardTokens) this.flush();
    }
  }

  finish(): { file: string; tokens: number }[] {
    if (this.fill > 0) this.flush();
    return this.shards;
  }

  private flush(): void {
    const file = `shard-${String(this.shards.length).padStart(5, '0')}.bin`;
    writeFileAtomic(join(this.dir, file), this.buf.subarray(0, this.fill * this.width));
    this.shards.push({ file, tokens: this.fill });
    this.fill = 0;
  }
}
