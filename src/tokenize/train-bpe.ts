// Byte-level BPE training as HuggingFace tokenizers' ByteLevelBPETokenizer.train: words come from
// GPT-2's pre-tokenisation, the initial vocabulary is the special tokens and then all 256 byte
// characters (by code point, so any text can be encoded), and merges are learnt on word counts
// (learn-merges.ts) until vocabSize tokens exist.

import { GPT2_SPECIALS, specialToken } from './added-tokens.ts';
import { ByteLevelBPETokenizer } from './bpe.ts';
import { BYTE_TO_CHAR, GPT2_BYTE_LEVEL, preTokenizeByteLevel } from './byte-level.ts';
import { checkTrainOptions, countWords, learnMerges } from './learn-merges.ts';

export interface ByteLevelBPETrainOptions {
  /** Tokens in the final vocabulary, specials included (default 8192). */
  vocabSize?: number;
  /** A pair seen fewer times than this is never merged (default 2). */
  minFrequency?: number;
  /** Special tokens, given the first ids: GPT2_SPECIALS (the default) or ROBERTA_SPECIALS, say. */
  specials?: readonly string[];
}

const TRAINER = 'trainByteLevelBPE';

export function trainByteLevelBPE(texts: Iterable<string>, opts: ByteLevelBPETrainOptions = {}): ByteLevelBPETokenizer {
  const { vocabSize = 8192, minFrequency = 2, specials = GPT2_SPECIALS } = opts;
  checkTrainOptions(TRAINER, vocabSize, minFrequency, specials);
  const alphabet = [...BYTE_TO_CHAR].sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0));
  const vocab = [...specials, ...alphabet];
  if (vocabSize < vocab.length) {
    throw new Error(`${TRAINER}: vocabSize ${vocabSize} is smaller than the ${specials.length} special tokens plus the 256-byte alphabet; use vocabSize >= ${vocab.length}`);
  }
  const counts = countWords(texts, specials, (text) => preTokenizeByteLevel(text, GPT2_BYTE_LEVEL));
  if (counts.size === 0) throw new Error(`${TRAINER}: the training corpus is empty (no words in any text); pass at least one non-empty text`);
  const ids = new Map(vocab.map((t, i) => [t, i]));
  const table = { words: [...counts.keys()].map((w) => Array.from(w, (ch) => ids.get(ch)!)), counts: [...counts.values()] };
  const merges = learnMerges(table, vocab, { vocabSize, minFrequency, join: (a, b) => a + b });
  return new ByteLevelBPETokenizer({
    vocab: new Map(vocab.map((t, i) => [t, i])),
    merges,
    addedTokens: specials.map((s, id) => specialToken(s, id)),
  });
}
