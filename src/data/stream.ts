// TokenStream: fixed-length windows over a token cache, served in a seeded shuffled order.
// The concatenated token sequence is cut into non-overlapping windows of windowLength tokens
// (the incomplete tail is dropped); window i covers tokens [i*T, (i+1)*T) and keeps the id i in
// every epoch, so static masking can derive a window's mask from its id. Each epoch serves every
// window once in a permutation drawn from the stream's Rng. Tokens are read from the shard
// files on demand (one positioned read per window), never loaded whole.
//
// Resuming: position() is { epoch, index, rngState } where rngState is the Rng state just before
// the current epoch's permutation was drawn and index the next slot in it; a stream constructed
// with that position redraws the same permutation and serves exactly the same windows next.

import fs from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../tensor/index.ts';
import { bytesPerToken, type TokenShards } from './shards.ts';

export interface Window {
  /** Index of the window in the token sequence; stable across epochs. */
  id: number;
  tokens: Int32Array;
}

export interface StreamPosition {
  epoch: number;
  index: number;
  rngState: number[];
}

export interface TokenStreamOptions {
  windowLength: number;
  batchSize: number;
  seed?: number;
  /** Where to resume: a value returned by position() (after a JSON round trip if need be). */
  position?: StreamPosition;
}

export class TokenStream {
  readonly windowLength: number;
  readonly batchSize: number;
  readonly windowCount: number;
  private readonly reader: ShardReader;
  private epoch = 0;
  private index = 0;
  private epochRngState: number[];
  private rng: Rng;
  private order: number[];

  constructor(shards: TokenShards, opts: TokenStreamOptions) {
    const { windowLength, batchSize } = opts;
    if (!Number.isInteger(windowLength) || windowLength < 1) throw new RangeError(`TokenStream: windowLength must be a positive integer, got ${windowLength}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`TokenStream: batchSize must be a positive integer, got ${batchSize}`);
    const tokens = shards.manifest.tokenCount;
    const needed = windowLength * batchSize;
    if (tokens < needed) {
      throw new Error(`corpus too small: ${tokens} tokens, but one batch needs ${batchSize} x ${windowLength} = ${needed}; use a larger corpus or a smaller batch size or sequence length`);
    }
    this.windowLength = windowLength;
    this.batchSize = batchSize;
    this.windowCount = Math.floor(tokens / windowLength);
    this.reader = new ShardReader(shards);
    const start = opts.position ?? { epoch: 0, index: 0, rngState: new Rng(opts.seed ?? 0).state() };
    if (!Number.isInteger(start.index) || start.index < 0 || start.index >= this.windowCount) {
      throw new RangeError(`TokenStream: position index ${start.index} is outside this stream's ${this.windowCount} windows (was it saved with another corpus or window length?)`);
    }
    this.epoch = start.epoch;
    this.index = start.index;
    this.epochRngState = [...start.rngState];
    this.rng = Rng.fromState(start.rngState);
    this.order = this.drawOrder();
  }

  /** The next batchSize windows; an epoch boundary inside a batch simply continues into the next epoch. */
  nextBatch(): Window[] {
    const out: Window[] = [];
    while (out.length < this.batchSize) out.push(this.nextWindow());
    return out;
  }

  /** Where the stream is now; pass it as options.position to resume exactly here. */
  position(): StreamPosition {
    return { epoch: this.epoch, index: this.index, rngState: [...this.epochRngState] };
  }

  /** Window i in sequence order (for deterministic validation passes: i = 0 .. windowCount - 1). */
  window(i: number): Window {
    if (!Number.isInteger(i) || i < 0 || i >= this.windowCount) throw new RangeError(`TokenStream.window: ${i} is outside 0..${this.windowCount - 1}`);
    return { id: i, tokens: this.reader.read(i * this.windowLength, this.windowLength) };
  }

  close(): void {
    this.reader.close();
  }

  private nextWindow(): Window {
    const w = this.window(this.order[this.index]!);
    if (++this.index === this.windowCount) {
      this.epoch++;
      this.index = 0;
      this.epochRngState = this.rng.state();
      this.order = this.drawOrder();
    }
    return w;
  }

  private drawOrder(): number[] {
    return this.rng.shuffle(Array.from({ length: this.windowCount }, (_, i) => i));
  }
}

/** Positioned reads of token ranges across the shard files of a cache. */
class ShardReader {
  private readonly fds: number[];
  private readonly starts: number[];
  private readonly width: number;

  constructor(private readonly shards: TokenShards) {
    this.width = bytesPerToken(shards.manifest.dtype);
    this.fds = shards.manifest.shards.map((s) => fs.openSync(join(shards.dir, s.file), 'r'));
    let at = 0;
    this.starts = shards.manifest.shards.map((s) => ((at += s.tokens), at - s.tokens));
  }

  read(start: number, count: number): Int32Array {
    const out = new Int32Array(count);
    const buf = Buffer.alloc(count * this.width);
    let done = 0;
    let shard = this.shardOf(start);
    while (done < count) {
      const offset = start + done - this.starts[shard]!;
      const n = Math.min(count - done, this.shards.manifest.shards[shard]!.tokens - offset);
      const bytes = fs.readSync(this.fds[shard]!, buf, done * this.width, n * this.width, offset * this.width);
      if (bytes !== n * this.width) throw new Error(`token cache ${this.shards.dir} is truncated (shard ${shard}); delete it to rebuild`);
      done += n;
      shard++;
    }
    for (let i = 0; i < count; i++) out[i] = this.width === 2 ? buf.readUInt16LE(2 * i) : buf.readInt32LE(4 * i);
    return out;
  }

  close(): void {
    for (const fd of this.fds) fs.closeSync(fd);
    this.fds.length = 0;
  }

  private shardOf(token: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= token) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
