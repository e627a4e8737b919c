// WordPiece tokenizer as in BERT (google-research/bert tokenization.py) and HuggingFace
// tokenizers' WordPiece model: after BertNormalizer/BertPreTokenizer, each word is split greedily
// into the longest vocabulary pieces from the left, pieces after the first carrying the `##`
// prefix; a word with no such split, or longer than 100 characters, becomes [UNK]. Decoding and
// tokenizer.json follow HF's WordPiece decoder and its bert-base-uncased tokenizer.json.

import type { AddedToken } from './added-tokens.ts';
import { BaseTokenizer } from './base.ts';
import { normalizeBert, preTokenizeBert, type BertNormalizerOptions } from './bert-pretokenize.ts';

export interface WordPieceConfig {
  /** The model's token -> id table. */
  vocab: ReadonlyMap<string, number>;
  addedTokens: readonly AddedToken[];
  unkToken: string;
  /** null: no normalizer. */
  normalizer: BertNormalizerOptions | null;
  continuingSubwordPrefix?: string;
  maxInputCharsPerWord?: number;
  /** The WordPiece decoder's `cleanup` (undo spaces before punctuation and in contractions). */
  decoderCleanup?: boolean;
  /** tokenizer.json's post_processor; by default [CLS] $A [SEP] when both tokens exist. */
  postProcessor?: unknown;
}

const CACHE_LIMIT = 100_000;

export class WordPieceTokenizer extends BaseTokenizer {
  readonly kind = 'wordpiece' as const;
  private readonly config: Required<WordPieceConfig>;
  private readonly unkId: number;
  private readonly cache = new Map<string, number[]>();

  constructor(config: WordPieceConfig) {
    super(config.vocab, config.addedTokens);
    const unkId = this.vocab.get(config.unkToken);
    if (unkId === undefined) throw new Error(`WordPiece: the unknown token "${config.unkToken}" is not in the vocabulary`);
    this.unkId = unkId;
    this.config = {
      ...config,
      continuingSubwordPrefix: config.continuingSubwordPrefix ?? '##',
      maxInputCharsPerWord: config.maxInputCharsPerWord ?? 100,
      decoderCleanup: config.decoderCleanup ?? true,
      postProcessor: config.postProcessor === undefined ? this.bertTemplate() : config.postProcessor,
    };
  }

  protected normalize(text: string): string {
    return this.config.normalizer ? normalizeBert(text, this.config.normalizer) : text;
  }

  protected preTokenize(text: string): string[] {
    return preTokenizeBert(text);
  }

  protected encodeWord(word: string, out: number[]): void {
    let ids = this.cache.get(word);
    if (!ids) {
      ids = this.pieces(word);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, ids);
    }
    for (const id of ids) out.push(id);
  }

  /** Greedy longest-match-first split of one word into piece ids. */
  private pieces(word: string): number[] {
    const chars = Array.from(word);
    if (chars.length > this.config.maxInputCharsPerWord) return [this.unkId];
    const ids: number[] = [];
    for (let start = 0; start < chars.length; ) {
      const prefix = start > 0 ? this.config.continuingSubwordPrefix : '';
      let end = chars.length;
      let id: number | undefined;
      for (; end > start; end--) {
        id = this.vocab.get(prefix + chars.slice(start, end).join(''));
        if (id !== undefined) break;
      }
      if (id === undefined) return [this.unkId];
      ids.push(id);
      start = end;
    }
    return ids;
  }

  /**
   * HF's WordPiece decoder: continuation pieces glue to the previous token, others get a space;
   * the cleanup runs on the whole text, as HF's Python decode (clean_up_tokenization_spaces) does.
   */
  protected decodeTokens(tokens: string[]): string {
    const prefix = this.config.continuingSubwordPrefix;
    const text = tokens.map((t, i) => (i === 0 ? t : t.startsWith(prefix) ? t.slice(prefix.length) : ' ' + t)).join('');
    return this.config.decoderCleanup ? cleanup(text) : text;
  }

  toJSON(): unknown {
    const { normalizer, continuingSubwordPrefix, maxInputCharsPerWord, unkToken, decoderCleanup, postProcessor } = this.config;
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.addedTokensJSON(),
      normalizer: normalizer && {
        type: 'BertNormalizer',
        clean_text: normalizer.cleanText,
        handle_chinese_chars: normalizer.handleChineseChars,
        strip_accents: normalizer.stripAccents,
        lowercase: normalizer.lowercase,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: postProcessor,
      decoder: { type: 'WordPiece', prefix: continuingSubwordPrefix, cleanup: decoderCleanup },
      model: {
        type: 'WordPiece',
        unk_token: unkToken,
        continuing_subword_prefix: continuingSubwordPrefix,
        max_input_chars_per_word: maxInputCharsPerWord,
        vocab: this.vocabJSON(),
      },
    };
  }

  /** bert-base-uncased's post_processor: [CLS] $A [SEP] and [CLS] $A [SEP] $B:1 [SEP]:1. */
  private bertTemplate(): unknown {
    const { cls, sep } = this.special;
    if (cls === undefined || sep === undefined) return null;
    const clsToken = this.idToToken(cls)!;
    const sepToken = this.idToToken(sep)!;
    const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
    const sequence = (id: string, typeId: number) => ({ Sequence: { id, type_id: typeId } });
    return {
      type: 'TemplateProcessing',
      single: [special(clsToken, 0), sequence('A', 0), special(sepToken, 0)],
      pair: [special(clsToken, 0), sequence('A', 0), special(sepToken, 0), sequence('B', 1), special(sepToken, 1)],
      special_tokens: {
        [clsToken]: { id: clsToken, ids: [cls], tokens: [clsToken] },
        [sepToken]: { id: sepToken, ids: [sep], tokens: [sepToken] },
      },
    };
  }
}

/** HF's decoder cleanup: no space before punctuation or inside common English contractions. */
function cleanup(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
