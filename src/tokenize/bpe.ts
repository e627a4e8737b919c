// Byte-level BPE tokenizer as in GPT-2 (openai/gpt-2 encoder.py) and RoBERTa, matching HuggingFace
// tokenizers' BPE model behind a ByteLevel pre-tokenizer: each regex piece, as byte characters,
// starts as single characters and the adjacent pair with the lowest merge rank is merged
// (all its occurrences, left to right) until no ranked pair remains. Results are cached per word.
// tokenizer.json follows HF's gpt2 and roberta-base files; one read from a file with a Unicode
// normalizer or steps before ByteLevel (Llama 3, Qwen2, SmolLM: pre-tokenizers.ts) runs them and
// writes them back as read.

import type { AddedToken } from './added-tokens.ts';
import { BaseTokenizer } from './base.ts';
import { decodeByteLevel, GPT2_BYTE_LEVEL, preTokenizeByteLevel, type ByteLevelOptions } from './byte-level.ts';
import type { PieceSplit, UnicodeForm } from './pre-tokenizers.ts';

export interface ByteLevelBPEConfig {
  /** The model's token -> id table. */
  vocab: ReadonlyMap<string, number>;
  /** Merges in rank order (first = applied first). */
  merges: ReadonlyArray<readonly [string, string]>;
  addedTokens: readonly AddedToken[];
  /** The ByteLevel pre-tokenizer's options; GPT-2's by default. */
  byteLevel?: ByteLevelOptions;
  /** A pre_tokenizer read from a file: its steps before ByteLevel (none for ByteLevel alone) and its JSON, written back as read. */
  readPreTokenizer?: { steps: readonly PieceSplit[]; json: unknown };
  /** A Unicode normalizer (none by default). */
  normalizer?: UnicodeForm | null;
  /** HF's ignore_merges: a word found whole in the vocabulary is one token. */
  ignoreMerges?: boolean;
  unkToken?: string | null;
  /** tokenizer.json's post_processor; by default RobertaProcessing when <s> and </s> exist, else GPT-2's ByteLevel. */
  postProcessor?: unknown;
}

const PAIR_SHIFT = 2 ** 21; // ids stay below this, so a * PAIR_SHIFT + b is an exact pair key
const CACHE_LIMIT = 100_000;

export class ByteLevelBPETokenizer extends BaseTokenizer {
  readonly kind = 'bpe' as const;
  private readonly merges: ReadonlyArray<readonly [string, string]>;
  private readonly byteLevel: ByteLevelOptions;
  private readonly readPreTokenizer: { steps: readonly PieceSplit[]; json: unknown } | null;
  private readonly normalizer: UnicodeForm | null;
  private readonly ignoreMerges: boolean;
  private readonly unkToken: string | null;
  private readonly unkId: number | undefined;
  private readonly postProcessor: unknown;
  /** pair key -> rank; mergedId[rank] is the merge's result. */
  private readonly ranks = new Map<number, number>();
  private readonly mergedId: number[] = [];
  private readonly cache = new Map<string, number[]>();

  constructor(config: ByteLevelBPEConfig) {
    super(config.vocab, config.addedTokens);
    if (this.vocabSize > PAIR_SHIFT) throw new Error(`BPE: vocabularies are limited to ${PAIR_SHIFT} tokens`);
    this.merges = config.merges;
    this.byteLevel = config.byteLevel ?? GPT2_BYTE_LEVEL;
    this.readPreTokenizer = config.readPreTokenizer ?? null;
    this.normalizer = config.normalizer ?? null;
    this.ignoreMerges = config.ignoreMerges ?? false;
    this.unkToken = config.unkToken ?? null;
    this.unkId = this.unkToken === null ? undefined : this.vocab.get(this.unkToken);
    this.postProcessor = config.postProcessor === undefined ? this.defaultPostProcessor() : config.postProcessor;
    this.indexMerges();
  }

  private indexMerges(): void {
    this.merges.forEach(([a, b], rank) => {
      const left = this.vocab.get(a);
      const right = this.vocab.get(b);
      const merged = this.vocab.get(a + b);
      if (left === undefined || right === undefined || merged === undefined) {
        throw new Error(`BPE: merge "${a} ${b}" uses a token that is not in the vocabulary`);
      }
      const key = left * PAIR_SHIFT + right;
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
      this.mergedId[rank] = merged;
    });
  }

  protected normalize(text: string): string {
    return this.normalizer ? text.normalize(this.normalizer) : text;
  }

  protected preTokenize(text: string): string[] {
    return preTokenizeByteLevel(text, this.byteLevel, this.readPreTokenizer?.steps);
  }

  protected encodeWord(word: string, out: number[]): void {
    let ids = this.cache.get(word);
    if (!ids) {
      const whole = this.ignoreMerges ? this.vocab.get(word) : undefined;
      ids = whole !== undefined ? [whole] : this.bpe(word);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, ids);
    }
    for (const id of ids) out.push(id);
  }

  /** Applies merges by rank to one word of byte characters. */
  private bpe(word: string): number[] {
    let symbols = this.initialSymbols(word);
    while (symbols.length > 1) {
      let best = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.ranks.get(symbols[i]! * PAIR_SHIFT + symbols[i + 1]!);
        if (rank !== undefined && rank < best) best = rank;
      }
      if (best === Infinity) break;
      symbols = this.mergeAll(symbols, best);
    }
    return symbols;
  }

  /** One symbol per character; a character outside the vocabulary becomes the unknown token, or is dropped without one (as HF). */
  private initialSymbols(word: string): number[] {
    const symbols: number[] = [];
    for (const ch of word) {
      const id = this.vocab.get(ch) ?? this.unkId;
      if (id !== undefined) symbols.push(id);
    }
    return symbols;
  }

  private mergeAll(symbols: number[], rank: number): number[] {
    const [a, b] = this.merges[rank]!;
    const left = this.vocab.get(a)!;
    const right = this.vocab.get(b)!;
    const out: number[] = [];
    for (let i = 0; i < symbols.length; i++) {
      if (symbols[i] === left && symbols[i + 1] === right) {
        out.push(this.mergedId[rank]!);
        i++;
      } else out.push(symbols[i]!);
    }
    return out;
  }

  protected decodeTokens(tokens: string[]): string {
    return decodeByteLevel(tokens);
  }

  toJSON(): unknown {
    const { addPrefixSpace, useRegex } = this.byteLevel;
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.addedTokensJSON(),
      normalizer: this.normalizer ? { type: this.normalizer } : null,
      pre_tokenizer: this.readPreTokenizer?.json ?? { type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: useRegex },
      post_processor: this.postProcessor,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: this.unkToken,
        continuing_subword_prefix: '',
        end_of_word_suffix: '',
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: this.ignoreMerges,
        vocab: this.vocabJSON(),
        merges: this.mergesJSON(),
      },
    };
  }

  /** "a b" strings as in gpt2's tokenizer.json; [a, b] pairs when a token contains a space. */
  private mergesJSON(): string[] | [string, string][] {
    const spaced = this.merges.some(([a, b]) => a.includes(' ') || b.includes(' '));
    return spaced ? this.merges.map(([a, b]) => [a, b] as [string, string]) : this.merges.map(([a, b]) => `${a} ${b}`);
  }

  private defaultPostProcessor(): unknown {
    const s = this.tokenToId('<s>');
    const e = this.tokenToId('</s>');
    if (s !== undefined && e !== undefined) {
      return { type: 'RobertaProcessing', sep: ['</s>', e], cls: ['<s>', s], trim_offsets: true, add_prefix_space: false };
    }
    return { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true };
  }
}
