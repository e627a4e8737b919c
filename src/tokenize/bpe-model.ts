// The BPE model of HuggingFace tokenizers (tokenizers/src/models/bpe: model.rs merge_word and
// word.rs merge_all), shared by byte-level BPE (bpe.ts) and SentencePiece-style BPE
// (sentencepiece-bpe.ts). A word starts as one symbol per character: its vocabulary id, else
// (byte_fallback) the <0xXX> tokens of its UTF-8 bytes when all exist, else the unknown token
// (consecutive ones fused into one with fuse_unk; the character dropped without one). Then the
// adjacent pair with the lowest merge rank, leftmost first, is merged until none is left: a
// priority queue of (rank, position) over a linked list of symbols, with stale entries skipped
// when popped, so a word of n characters costs O(n log n) and a whole document can be one word
// (SentencePiece files have no pre-tokenizer). With ignore_merges a word found whole in the
// vocabulary is one token. Results of words under 256 characters are cached, as in HF.
//
// HF's rules are kept where they surprise: a merge listed twice takes its last rank (HF's merge
// map); a queue entry is skipped when the pair now at its position makes another token; a
// pending unknown token is written only before the next character found in the vocabulary (or
// at the end), so the byte fallback tokens of characters in between come before it. Where HF
// errors (unk_token names no token) the character is dropped, as with no unk_token.

const PAIR_SHIFT = 2 ** 21; // ids stay below this, so a * PAIR_SHIFT + b is an exact pair key
const POS_SHIFT = 2 ** 31; // queue entries are rank * POS_SHIFT + position, exact below 2^53
const MAX_MERGES = 2 ** 22;
const CACHE_LIMIT = 100_000;
const CACHE_WORD_LIMIT = 256;

export interface BpeModelConfig {
  /** The model's token -> id table. */
  vocab: ReadonlyMap<string, number>;
  /** Merges in rank order (first = applied first). */
  merges: ReadonlyArray<readonly [string, string]>;
  unkToken?: string | null;
  fuseUnk?: boolean;
  byteFallback?: boolean;
  /** HF's ignore_merges: a word found whole in the vocabulary is one token. */
  ignoreMerges?: boolean;
  /** How toJSON writes merges: [a, b] pairs or "a b" strings; by default strings unless a token contains a space. */
  mergesAsPairs?: boolean;
}

/** The byte fallback token of one byte, as HF names it: <0x0A>. */
export function byteToken(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

const utf8 = new TextEncoder();

/** A binary min-heap of numbers (queue entries). */
class MinHeap {
  private items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(v: number): void {
    const a = this.items;
    let i = a.push(v) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= v) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = v;
  }

  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const c = l + 1 < a.length && a[l + 1]! < a[l]! ? l + 1 : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }

  clear(): void {
    this.items = [];
  }
}

export class BpeModel {
  readonly vocab: ReadonlyMap<string, number>;
  readonly merges: ReadonlyArray<readonly [string, string]>;
  readonly unkToken: string | null;
  readonly fuseUnk: boolean;
  readonly byteFallback: boolean;
  readonly ignoreMerges: boolean;
  private readonly mergesAsPairs: boolean | undefined;
  private readonly unkId: number | undefined;
  /** pair key -> rank; mergedId[rank] is the merge's result. */
  private readonly ranks = new Map<number, number>();
  private readonly mergedId: number[] = [];
  /** Byte -> its <0xXX> token id (byte fallback). */
  private readonly byteIds: (number | undefined)[] = [];
  private readonly cache = new Map<string, number[]>();
  // The word being merged (reused between words): symbol ids and linked-list neighbours (-1: none; prev -2: merged away).
  private sym = new Int32Array(64);
  private prev = new Int32Array(64);
  private next = new Int32Array(64);
  private readonly queue = new MinHeap();

  constructor(config: BpeModelConfig) {
    this.vocab = config.vocab;
    this.merges = config.merges;
    this.unkToken = config.unkToken ?? null;
    this.fuseUnk = config.fuseUnk ?? false;
    this.byteFallback = config.byteFallback ?? false;
    this.ignoreMerges = config.ignoreMerges ?? false;
    this.mergesAsPairs = config.mergesAsPairs;
    this.unkId = this.unkToken === null ? undefined : this.vocab.get(this.unkToken);
    for (const id of this.vocab.values()) if (id >= PAIR_SHIFT) throw new Error(`BPE: vocabularies are limited to ${PAIR_SHIFT} tokens`);
    if (this.merges.length > MAX_MERGES) throw new Error(`BPE: at most ${MAX_MERGES} merges are supported (got ${this.merges.length})`);
    this.merges.forEach(([a, b], rank) => {
      const left = this.vocab.get(a);
      const right = this.vocab.get(b);
      const merged = this.vocab.get(a + b);
      if (left === undefined || right === undefined || merged === undefined) {
        throw new Error(`BPE: merge "${a} ${b}" uses a token that is not in the vocabulary`);
      }
      this.ranks.set(left * PAIR_SHIFT + right, rank); // the last listing wins, as HF's merge map
      this.mergedId[rank] = merged;
    });
    if (this.byteFallback) for (let b = 0; b < 256; b++) this.byteIds[b] = this.vocab.get(byteToken(b));
  }

  /** Appends the ids of one word. */
  encodeWord(word: string, out: number[]): void {
    if (word.length === 0) return;
    if (this.ignoreMerges) {
      const whole = this.vocab.get(word);
      if (whole !== undefined) {
        out.push(whole);
        return;
      }
    }
    const cacheable = word.length < CACHE_WORD_LIMIT;
    let ids = cacheable ? this.cache.get(word) : undefined;
    if (!ids) {
      ids = this.merge(this.initialSymbols(word));
      if (cacheable) {
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, ids);
      }
    }
    for (const id of ids) out.push(id);
  }

  /** One symbol per character, as HF's merge_word (see the header for unknown characters). */
  private initialSymbols(word: string): number[] {
    const symbols: number[] = [];
    let pendingUnk = false;
    for (const ch of word) {
      const id = this.vocab.get(ch);
      if (id !== undefined) {
        if (pendingUnk) symbols.push(this.unkId!);
        pendingUnk = false;
        symbols.push(id);
        continue;
      }
      if (this.byteFallback && this.pushBytes(ch, symbols)) continue;
      if (this.unkId === undefined) continue;
      if (pendingUnk && !this.fuseUnk) symbols.push(this.unkId);
      pendingUnk = true;
    }
    if (pendingUnk) symbols.push(this.unkId!);
    return symbols;
  }

  /** Pushes the <0xXX> tokens of a character's UTF-8 bytes when all exist; false (nothing pushed) otherwise. */
  private pushBytes(ch: string, symbols: number[]): boolean {
    const bytes = utf8.encode(ch);
    for (const b of bytes) if (this.byteIds[b] === undefined) return false;
    for (const b of bytes) symbols.push(this.byteIds[b]!);
    return true;
  }

  private rankOf(left: number, right: number): number | undefined {
    return this.ranks.get(left * PAIR_SHIFT + right);
  }

  /** HF's word.merge_all (see the header). */
  private merge(symbols: number[]): number[] {
    const n = symbols.length;
    if (n < 2) return symbols;
    if (this.sym.length < n) {
      const size = Math.max(n, 2 * this.sym.length);
      this.sym = new Int32Array(size);
      this.prev = new Int32Array(size);
      this.next = new Int32Array(size);
    }
    const { sym, prev, next, queue } = this;
    queue.clear();
    for (let i = 0; i < n; i++) {
      sym[i] = symbols[i]!;
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
      if (i > 0) {
        const rank = this.rankOf(symbols[i - 1]!, symbols[i]!);
        if (rank !== undefined) queue.push(rank * POS_SHIFT + i - 1);
      }
    }
    while (queue.size > 0) {
      const top = queue.pop();
      const rank = Math.floor(top / POS_SHIFT);
      const pos = top - rank * POS_SHIFT;
      const right = next[pos]!;
      if (prev[pos] === -2 || right === -1) continue;
      const current = this.rankOf(sym[pos]!, sym[right]!);
      const made = this.mergedId[rank]!;
      if (current === undefined || this.mergedId[current] !== made) continue;
      sym[pos] = made;
      const after = next[right]!;
      next[pos] = after;
      prev[right] = -2;
      if (after !== -1) prev[after] = pos;
      const before = prev[pos]!;
      if (before >= 0) {
        const r = this.rankOf(sym[before]!, made);
        if (r !== undefined) queue.push(r * POS_SHIFT + before);
      }
      if (after !== -1) {
        const r = this.rankOf(made, sym[after]!);
        if (r !== undefined) queue.push(r * POS_SHIFT + pos);
      }
    }
    const out: number[] = [];
    for (let i = 0; i !== -1; i = next[i]!) out.push(sym[i]!);
    return out;
  }

  /** tokenizer.json's model section; `affix` is what continuing_subword_prefix and end_of_word_suffix are written as (none is used). */
  toJSON(vocab: Record<string, number>, affix: '' | null): Record<string, unknown> {
    return {
      type: 'BPE',
      dropout: null,
      unk_token: this.unkToken,
      continuing_subword_prefix: affix,
      end_of_word_suffix: affix,
      fuse_unk: this.fuseUnk,
      byte_fallback: this.byteFallback,
      ignore_merges: this.ignoreMerges,
      vocab,
      merges: this.mergesJSON(),
    };
  }

  private mergesJSON(): string[] | [string, string][] {
    const pairs = this.mergesAsPairs ?? this.merges.some(([a, b]) => a.includes(' ') || b.includes(' '));
    return pairs ? this.merges.map(([a, b]) => [a, b] as [string, string]) : this.merges.map(([a, b]) => `${a} ${b}`);
  }
}
