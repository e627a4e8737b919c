// Byte-level BPE tokenizer as in GPT-2 (openai/gpt-2 encoder.py) and RoBERTa, matching HuggingFace
// tokenizers' BPE model behind a ByteLevel pre-tokenizer: each regex piece, as byte characters,
// goes through the BPE model (bpe-model.ts: merges by rank, unknown characters).
// tokenizer.json follows HF's gpt2 and roberta-base files; one read from a file with a Unicode
// normalizer or steps before ByteLevel (Llama 3, Qwen2, SmolLM: pre-tokenizers.ts) runs them and
// writes them back as read.

import type { AddedToken } from './added-tokens.ts';
import { BaseTokenizer } from './base.ts';
import { BpeModel, type BpeModelConfig } from './bpe-model.ts';
import { decodeByteLevel, GPT2_BYTE_LEVEL, preTokenizeByteLevel, type ByteLevelOptions } from './byte-level.ts';
import type { PieceSplit, UnicodeForm } from './pre-tokenizers.ts';

export interface ByteLevelBPEConfig extends BpeModelConfig {
  addedTokens: readonly AddedToken[];
  /** The ByteLevel pre-tokenizer's options; GPT-2's by default. */
  byteLevel?: ByteLevelOptions;
  /** A pre_tokenizer read from a file: its steps before ByteLevel (none for ByteLevel alone) and its JSON, written back as read. */
  readPreTokenizer?: { steps: readonly PieceSplit[]; json: unknown };
  /** A Unicode normalizer (none by default). */
  normalizer?: UnicodeForm | null;
  /** tokenizer.json's post_processor; by default RobertaProcessing when <s> and </s> exist, else GPT-2's ByteLevel. */
  postProcessor?: unknown;
}

export class ByteLevelBPETokenizer extends BaseTokenizer {
  readonly kind = 'bpe' as const;
  private readonly model: BpeModel;
  private readonly byteLevel: ByteLevelOptions;
  private readonly readPreTokenizer: { steps: readonly PieceSplit[]; json: unknown } | null;
  private readonly normalizer: UnicodeForm | null;
  private readonly postProcessor: unknown;

  constructor(config: ByteLevelBPEConfig) {
    super(config.vocab, config.addedTokens);
    this.model = new BpeModel(config);
    this.byteLevel = config.byteLevel ?? GPT2_BYTE_LEVEL;
    this.readPreTokenizer = config.readPreTokenizer ?? null;
    this.normalizer = config.normalizer ?? null;
    this.postProcessor = config.postProcessor === undefined ? this.defaultPostProcessor() : config.postProcessor;
  }

  protected normalize(text: string): string {
    return this.normalizer ? text.normalize(this.normalizer) : text;
  }

  protected preTokenize(text: string): string[] {
    return preTokenizeByteLevel(text, this.byteLevel, this.readPreTokenizer?.steps);
  }

  protected encodeWord(word: string, out: number[]): void {
    this.model.encodeWord(word, out);
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
      model: this.model.toJSON(this.vocabJSON(), ''),
    };
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
