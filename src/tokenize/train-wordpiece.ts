// WordPiece training as HuggingFace tokenizers' WordPieceTrainer: BERT-uncased normalisation and
// pre-tokenisation give the words; the initial vocabulary is the special tokens, then the
// alphabet (the limitAlphabet most frequent characters, by code point), then `##c` for each
// alphabet character seen inside a word; BPE merges are learnt (learn-merges.ts) on words written as
// first character + `##` continuations, so "a" + "##b" makes "ab" and "##a" + "##b" makes "##ab".
// The merges are then dropped: a WordPiece model keeps only the vocabulary. Words with a character
// outside the alphabet are left out of training (they encode as [UNK]).

import { BERT_SPECIALS, specialToken } from './added-tokens.ts';
import { BERT_UNCASED_NORMALIZER, normalizeBert, preTokenizeBert } from './bert-pretokenize.ts';
import { checkTrainOptions, countWords, learnMerges, type WordTable } from './learn-merges.ts';
import { WordPieceTokenizer } from './wordpiece.ts';

export interface WordPieceTrainOptions {
  /** Tokens in the final vocabulary, specials included (default 8192). */
  vocabSize?: number;
  /** A pair seen fewer times than this is never merged (default 2). */
  minFrequency?: number;
  /** Special tokens, given the first ids (default [PAD] [UNK] [CLS] [SEP] [MASK]). */
  specials?: readonly string[];
  /** The unknown token; must be one of the specials (default [UNK]). */
  unkToken?: string;
  /** At most this many distinct characters start the vocabulary (default 1000, as HF). */
  limitAlphabet?: number;
}

const TRAINER = 'trainWordPiece';
const PREFIX = '##';

export function trainWordPiece(texts: Iterable<string>, opts: WordPieceTrainOptions = {}): WordPieceTokenizer {
  const { vocabSize = 8192, minFrequency = 2, specials = BERT_SPECIALS, unkToken = '[UNK]', limitAlphabet = 1000 } = opts;
  checkTrainOptions(TRAINER, vocabSize, minFrequency, specials);
  if (!specials.includes(unkToken)) throw new Error(`${TRAINER}: the unknown token "${unkToken}" must be one of the specials (${specials.join(' ')})`);
  const counts = countWords(texts, specials, (text) => preTokenizeBert(normalizeBert(text, BERT_UNCASED_NORMALIZER)));
  if (counts.size === 0) throw new Error(`${TRAINER}: the training corpus is empty (no words in any text); pass at least one non-empty text`);
  const alphabet = chooseAlphabet(counts, limitAlphabet);
  const vocab = [...specials, ...alphabet, ...continuations(counts, alphabet)];
  if (vocabSize < vocab.length) {
    throw new Error(
      `${TRAINER}: vocabSize ${vocabSize} is smaller than the ${vocab.length} initial tokens (${specials.length} specials, a ${alphabet.length}-character alphabet and its ##-continuations); use vocabSize >= ${vocab.length} or a smaller limitAlphabet`,
    );
  }
  learnMerges(wordTable(counts, vocab), vocab, { vocabSize, minFrequency, join: (a, b) => a + b.slice(PREFIX.length) });
  return new WordPieceTokenizer({
    vocab: new Map(vocab.map((t, i) => [t, i])),
    addedTokens: specials.map((s, id) => specialToken(s, id)),
    unkToken,
    normalizer: BERT_UNCASED_NORMALIZER,
  });
}

/** The `limit` most frequent characters (ties by code point), sorted by code point. */
function chooseAlphabet(counts: Map<string, number>, limit: number): string[] {
  const chars = new Map<string, number>();
  for (const [word, count] of counts) for (const ch of word) chars.set(ch, (chars.get(ch) ?? 0) + count);
  const byCodePoint = (a: string, b: string) => a.codePointAt(0)! - b.codePointAt(0)!;
  const kept = [...chars].sort((a, b) => b[1] - a[1] || byCodePoint(a[0], b[0])).slice(0, limit);
  return kept.map(([ch]) => ch).sort(byCodePoint);
}

/** `##c` for each alphabet character seen inside a word (HF adds exactly these), by code point. */
function continuations(counts: Map<string, number>, alphabet: readonly string[]): string[] {
  const inside = new Set<string>();
  for (const word of counts.keys()) Array.from(word).slice(1).forEach((ch) => inside.add(ch));
  return alphabet.filter((ch) => inside.has(ch)).map((ch) => PREFIX + ch);
}

/** Words as ids of first character + `##` continuations; words with a character outside the vocabulary are skipped. */
function wordTable(counts: Map<string, number>, vocab: readonly string[]): WordTable {
  const ids = new Map(vocab.map((t, i) => [t, i]));
  const table: WordTable = { words: [], counts: [] };
  for (const [word, count] of counts) {
    const symbols = Array.from(word, (ch, i) => ids.get(i === 0 ? ch : PREFIX + ch));
    if (symbols.includes(undefined)) continue;
    table.words.push(symbols as number[]);
    table.counts.push(count);
  }
  return table;
}
