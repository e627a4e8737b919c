// Added (special) tokens, following HuggingFace tokenizers' AddedVocabulary: they are found in the
// text before the model runs (leftmost-longest match; tokens with `normalized: false` in the raw
// text, the others in the normalised text), `lstrip`/`rstrip` swallow the whitespace beside a
// match, and `single_word` tokens only match between non-word characters. Also maps the usual
// special-token strings of BERT, GPT-2 and RoBERTa to the roles in SpecialIds.

import type { SpecialIds } from './types.ts';

/** One entry of tokenizer.json's "added_tokens", as HuggingFace writes it. */
export interface AddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const GPT2_SPECIALS = ['<|endoftext|>'] as const;
export const ROBERTA_SPECIALS = ['<s>', '<pad>', '</s>', '<unk>', '<mask>'] as const;

const ROLES: Record<string, (keyof SpecialIds)[]> = {
  '[PAD]': ['pad'],
  '[UNK]': ['unk'],
  '[CLS]': ['cls'],
  '[SEP]': ['sep'],
  '[MASK]': ['mask'],
  '<s>': ['cls', 'bos'],
  '</s>': ['sep', 'eos'],
  '<pad>': ['pad'],
  '<unk>': ['unk'],
  '<mask>': ['mask'],
  '<|endoftext|>': ['bos', 'eos'],
  '<|begin_of_text|>': ['bos'], // Llama 3
  '<|end_of_text|>': ['eos'],
};

/** A special token as HuggingFace adds one: matched in the raw text, RoBERTa's <mask> also eating the space before it. */
export function specialToken(content: string, id: number): AddedToken {
  return { id, content, single_word: false, lstrip: content === '<mask>', rstrip: false, normalized: false, special: true };
}

/** Roles of the special tokens present, by their usual strings. */
export function specialIdsOf(tokens: readonly AddedToken[]): SpecialIds {
  const ids: SpecialIds = {};
  for (const t of tokens) {
    if (!t.special) continue;
    for (const role of ROLES[t.content] ?? []) ids[role] ??= t.id;
  }
  return ids;
}

/** A piece of text to tokenise, or an added token found in it. */
type Segment = string | AddedToken;

const WORD_CHAR = /[\p{L}\p{N}_]/u;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Splits text on added tokens, each found by the string given with it (its content, or its normalised content). */
export class AddedTokenSplitter {
  private readonly pattern: RegExp | null;
  private readonly byContent: Map<string, AddedToken>;

  constructor(entries: Iterable<readonly [string, AddedToken]>) {
    this.byContent = new Map(entries);
    const longestFirst = [...this.byContent.keys()].filter((c) => c.length > 0).sort((a, b) => b.length - a.length);
    this.pattern = longestFirst.length ? new RegExp(longestFirst.map(escapeRegExp).join('|'), 'gu') : null;
  }

  split(text: string): Segment[] {
    if (!this.pattern) return [text];
    const out: Segment[] = [];
    let done = 0; // text before this offset has been emitted
    for (const m of text.matchAll(this.pattern)) {
      const token = this.byContent.get(m[0])!;
      let start = m.index;
      let end = start + m[0].length;
      if (start < done || (token.single_word && !isWholeWord(text, start, end))) continue;
      if (token.lstrip) start = skipSpaceBack(text, start, done);
      if (token.rstrip) end = skipSpaceForward(text, end);
      if (start > done) out.push(text.slice(done, start));
      out.push(token);
      done = end;
    }
    if (done < text.length) out.push(text.slice(done));
    return out;
  }
}

function isWholeWord(text: string, start: number, end: number): boolean {
  const before = start > 0 && WORD_CHAR.test(String.fromCodePoint(text.codePointAt(start - 1)!));
  const after = end < text.length && WORD_CHAR.test(String.fromCodePoint(text.codePointAt(end)!));
  return !before && !after;
}

function skipSpaceBack(text: string, start: number, limit: number): number {
  while (start > limit && /\s/.test(text[start - 1]!)) start--;
  return start;
}

function skipSpaceForward(text: string, end: number): number {
  while (end < text.length && /\s/.test(text[end]!)) end++;
  return end;
}
