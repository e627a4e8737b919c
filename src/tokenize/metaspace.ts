// HuggingFace tokenizers' Metaspace (pre_tokenizers/metaspace.rs), the pre-tokenizer and decoder
// of SentencePiece-style files (Mistral v0.3 and later conversions): spaces become the
// replacement "▁"; "▁" is prepended to each piece not starting with it (prepend_scheme
// "always"), only to the piece that begins the text ("first"), or never; with split the text is
// cut before every "▁" (the delimiter merged with the next piece), without it the piece stays one
// word. Decoding turns "▁" back into spaces, except in the first token, where it is dropped
// unless the scheme is "never".

import type { TokenDecoder } from './decoders.ts';

export type PrependScheme = 'first' | 'always' | 'never';
export const PREPEND_SCHEMES: readonly PrependScheme[] = ['first', 'always', 'never'];

export interface MetaspaceOptions {
  /** One character. */
  replacement: string;
  prependScheme: PrependScheme;
  split: boolean;
}

/** The words of one piece of text; `atStart`: it begins the text (for "first"). */
export function preTokenizeMetaspace(text: string, atStart: boolean, o: MetaspaceOptions): string[] {
  if (text.length === 0) return [];
  let s = text.replaceAll(' ', o.replacement);
  const prefix = o.prependScheme === 'always' || (o.prependScheme === 'first' && atStart);
  if (prefix && !s.startsWith(o.replacement)) s = o.replacement + s;
  if (!o.split) return [s];
  const words: string[] = [];
  let start = 0;
  for (let at = s.indexOf(o.replacement, 1); at !== -1; at = s.indexOf(o.replacement, at + 1)) {
    if (at > start) words.push(s.slice(start, at));
    start = at;
  }
  words.push(s.slice(start));
  return words;
}

export function metaspaceDecoder(o: MetaspaceOptions): TokenDecoder {
  return (tokens) => tokens.map((token, i) => token.replaceAll(o.replacement, i === 0 && o.prependScheme !== 'never' ? '' : ' '));
}
