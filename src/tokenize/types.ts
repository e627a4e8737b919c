// The tokenizer contract shared by tokenizers (src/tokenize) and data pipelines (src/data).

export type TokenizerKind = 'wordpiece' | 'bpe' | 'sentencepiece-bpe';

/** Ids of the special tokens a tokenizer has; absent ones are undefined. */
export interface SpecialIds {
  pad?: number;
  unk?: number;
  cls?: number; // BERT [CLS]; RoBERTa <s>
  sep?: number; // BERT [SEP]; RoBERTa </s>
  mask?: number; // BERT [MASK]; RoBERTa <mask>
  bos?: number; // GPT-2/RoBERTa <s> or <|endoftext|>
  eos?: number; // GPT-2 <|endoftext|>; RoBERTa </s>
}

export interface Tokenizer {
  readonly kind: TokenizerKind;
  readonly vocabSize: number;
  readonly special: SpecialIds;
  /** Token ids for raw text, without special tokens added. */
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  /** HuggingFace tokenizer.json content (an object ready for JSON.stringify). */
  toJSON(): unknown;
}
