// BPE merge learning over a table of word counts, as HuggingFace tokenizers' BpeTrainer: count
// adjacent symbol pairs weighted by word frequency, repeatedly merge the most frequent pair until
// the vocabulary is full or the best count falls below minFrequency. Ties go to the pair with the
// smaller (left id, right id), so training is deterministic. Pair counts are updated only in the
// words that contain the merged pair (an index pair -> words), and a max-heap with lazy
// re-validation (HF's approach) finds the next pair. Also the trainers' shared word counting
// (special tokens cut out of the text first, as HF does) and option checks.

import { AddedTokenSplitter, specialToken } from './added-tokens.ts';

export interface WordTable {
  /** Each distinct word as symbol ids (indices into the vocabulary). */
  words: number[][];
  /** How often each word occurs. */
  counts: number[];
}

export interface LearnOptions {
  vocabSize: number;
  minFrequency: number;
  /** The token string a merge of two tokens produces. */
  join(left: string, right: string): string;
}

const SHIFT = 2 ** 21; // ids stay below this, so a * SHIFT + b is an exact pair key

/** Max-heap of (count, pair key): larger count first, then smaller key. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.keys.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes the top entry and returns it as [count, key]. */
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0]!, this.keys[0]!];
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.keys.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < this.keys.length && this.before(l, best)) best = l;
      if (r < this.keys.length && this.before(r, best)) best = r;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }

  private before(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci !== cj ? ci > cj : this.keys[i]! < this.keys[j]!;
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }
}

class MergeLearner {
  private readonly pairCounts = new Map<number, number>();
  private readonly where = new Map<number, number[]>();
  private readonly heap = new PairHeap();
  private readonly tokenIds: Map<string, number>;
  private readonly seen: Int32Array;

  constructor(
    private readonly table: WordTable,
    private readonly vocab: string[],
  ) {
    this.tokenIds = new Map(vocab.map((t, i) => [t, i]));
    this.seen = new Int32Array(table.words.length).fill(-1);
    table.words.forEach((word, w) => this.addPairs(word, w, table.counts[w]!, null));
    for (const [key, count] of this.pairCounts) this.heap.push(count, key);
  }

  /** Merges until the vocabulary has `opts.vocabSize` tokens or no pair is frequent enough. */
  run(opts: LearnOptions): [string, string][] {
    const merges: [string, string][] = [];
    while (this.vocab.length < opts.vocabSize) {
      const key = this.nextPair(opts.minFrequency);
      if (key === undefined) break;
      const left = this.vocab[Math.floor(key / SHIFT)]!;
      const right = this.vocab[key % SHIFT]!;
      merges.push([left, right]);
      this.merge(key, this.idOf(opts.join(left, right)), merges.length);
    }
    return merges;
  }

  /** The most frequent pair, after re-checking stale heap entries. */
  private nextPair(minFrequency: number): number | undefined {
    while (this.heap.size > 0) {
      const [count, key] = this.heap.pop();
      const actual = this.pairCounts.get(key) ?? 0;
      if (actual === count) return count >= minFrequency ? key : undefined;
      if (actual > 0) this.heap.push(actual, key);
    }
    return undefined;
  }

  /** Id of a token, added to the vocabulary when new (two merges can make the same string, as in HF). */
  private idOf(token: string): number {
    let id = this.tokenIds.get(token);
    if (id === undefined) {
      id = this.vocab.push(token) - 1;
      if (id >= SHIFT) throw new Error(`BPE training: vocabularies are limited to ${SHIFT} tokens`);
      this.tokenIds.set(token, id);
    }
    return id;
  }

  private merge(key: number, merged: number, step: number): void {
    const left = Math.floor(key / SHIFT);
    const right = key % SHIFT;
    const changed = new Set<number>();
    for (const w of this.where.get(key) ?? []) {
      if (this.seen[w] === step) continue;
      this.seen[w] = step;
      const word = this.table.words[w]!;
      const count = this.table.counts[w]!;
      this.removePairs(word, count);
      const next = mergeInWord(word, left, right, merged);
      this.table.words[w] = next;
      this.addPairs(next, w, count, { merged, changed });
    }
    this.where.delete(key);
    for (const k of changed) {
      const count = this.pairCounts.get(k);
      if (count !== undefined) this.heap.push(count, k);
    }
  }

  private removePairs(word: number[], count: number): void {
    for (let i = 0; i + 1 < word.length; i++) {
      const k = word[i]! * SHIFT + word[i + 1]!;
      const left = this.pairCounts.get(k)! - count;
      if (left > 0) this.pairCounts.set(k, left);
      else this.pairCounts.delete(k);
    }
  }

  /** Counts a word's pairs; pairs touching a new token are indexed and reported as changed. */
  private addPairs(word: number[], w: number, count: number, fresh: { merged: number; changed: Set<number> } | null): void {
    for (let i = 0; i + 1 < word.length; i++) {
      const a = word[i]!;
      const b = word[i + 1]!;
      const k = a * SHIFT + b;
      this.pairCounts.set(k, (this.pairCounts.get(k) ?? 0) + count);
      if (fresh && a !== fresh.merged && b !== fresh.merged) continue;
      fresh?.changed.add(k);
      this.index(k, w);
    }
  }

  private index(key: number, w: number): void {
    const list = this.where.get(key);
    if (!list) this.where.set(key, [w]);
    else if (list[list.length - 1] !== w) list.push(w);
  }
}

/** Replaces every non-overlapping (left, right), scanning left to right, by `merged`. */
function mergeInWord(word: number[], left: number, right: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < word.length; i++) {
    if (word[i] === left && word[i + 1] === right) {
      out.push(merged);
      i++;
    } else out.push(word[i]!);
  }
  return out;
}

/**
 * Learns merges on `table` (whose words are rewritten in place), appending new tokens to `vocab`.
 * Returns the merges in order.
 */
export function learnMerges(table: WordTable, vocab: string[], opts: LearnOptions): [string, string][] {
  return new MergeLearner(table, vocab).run(opts);
}

/** Word -> count over all texts; the given special tokens are cut out of the text first and never counted. */
export function countWords(texts: Iterable<string>, specials: readonly string[], words: (text: string) => string[]): Map<string, number> {
  const splitter = new AddedTokenSplitter(specials.map((s, id) => [s, specialToken(s, id)] as const));
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of splitter.split(text)) {
      if (typeof piece !== 'string') continue;
      for (const word of words(piece)) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return counts;
}

/** One-line errors for option values no trainer can use. */
export function checkTrainOptions(trainer: string, vocabSize: number, minFrequency: number, specials: readonly string[]): void {
  if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new Error(`${trainer}: vocabSize must be a positive integer (got ${vocabSize})`);
  if (!(minFrequency >= 0)) throw new Error(`${trainer}: minFrequency must be a number >= 0 (got ${minFrequency})`);
  if (new Set(specials).size !== specials.length) throw new Error(`${trainer}: special tokens must be distinct (got ${specials.join(' ')})`);
}
