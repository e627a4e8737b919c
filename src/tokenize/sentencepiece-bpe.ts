// BPE on characters, as HuggingFace tokenizers runs the tokenizer.json files converted from
// SentencePiece models: Llama 2, TinyLlama and Mistral v0.1 (normalizer Sequence [Prepend("▁"),
// Replace(" " -> "▁")], no pre-tokenizer), Mistral v0.3 and later conversions (no normalizer,
// Metaspace pre-tokenizer, metaspace.ts). Each piece of text between added tokens is normalised
// and pre-tokenised (without a pre-tokenizer the whole piece is one word, so a document can be one
// word: bpe-model.ts merges in O(n log n)), then the BPE model runs on its characters, a character
// outside the vocabulary becoming its <0xXX> byte tokens (byte_fallback) or the unknown token.
// Decoding follows the file's decoder (decoders.ts). The file's normalizer, pre_tokenizer,
// decoder and post_processor are written back as read (load.ts reads them).

import type { AddedToken } from './added-tokens.ts';
import { BaseTokenizer } from './base.ts';
import { BpeModel, type BpeModelConfig } from './bpe-model.ts';
import { decodeWith, type TokenDecoder } from './decoders.ts';
import type { Normalizer } from './normalizers.ts';

/** A tokenizer.json section: what runs, and its JSON as read. */
export interface Section<F> {
  run: F;
  json: unknown;
}

/** A piece of text to its words; `atStart`: the piece begins the text. */
export type PreTokenize = (text: string, atStart: boolean) => string[];

export interface SentencePieceBPEConfig extends BpeModelConfig {
  addedTokens: readonly AddedToken[];
  normalizer: Section<Normalizer> | null;
  preTokenizer: Section<PreTokenize> | null;
  decoder: Section<TokenDecoder> | null;
  /** tokenizer.json's post_processor, kept as written. */
  postProcessor: unknown;
}

export class SentencePieceBPETokenizer extends BaseTokenizer {
  readonly kind = 'sentencepiece-bpe' as const;
  private readonly model: BpeModel;
  private readonly config: SentencePieceBPEConfig;

  constructor(config: SentencePieceBPEConfig) {
    super(config.vocab, config.addedTokens);
    this.model = new BpeModel(config);
    this.config = config;
  }

  protected normalize(text: string): string {
    return this.config.normalizer ? this.config.normalizer.run(text) : text;
  }

  protected preTokenize(text: string, atStart: boolean): string[] {
    return this.config.preTokenizer ? this.config.preTokenizer.run(text, atStart) : [text];
  }

  protected encodeWord(word: string, out: number[]): void {
    this.model.encodeWord(word, out);
  }

  protected decodeTokens(tokens: string[]): string {
    return decodeWith(this.config.decoder?.run ?? null, tokens);
  }

  toJSON(): unknown {
    const { normalizer, preTokenizer, decoder, postProcessor } = this.config;
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.addedTokensJSON(),
      normalizer: normalizer?.json ?? null,
      pre_tokenizer: preTokenizer?.json ?? null,
      post_processor: postProcessor,
      decoder: decoder?.json ?? null,
      model: this.model.toJSON(this.vocabJSON(), null),
    };
  }
}
