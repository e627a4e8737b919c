// The decoders of SentencePiece-style tokenizer.json files (HuggingFace tokenizers' decoders/):
// each step maps the list of tokens to a new list, a Sequence runs them in order and the result
// is joined; without a decoder HF joins the tokens with spaces. Llama 2 writes Sequence
// [Replace("▁" -> " "), ByteFallback, Fuse, Strip(" ", 1, 0)]; Metaspace is in metaspace.ts.

import type { Normalizer } from './normalizers.ts';

export type TokenDecoder = (tokens: string[]) => string[];

const BYTE_TOKEN = /^<0x[0-9A-Fa-f]{2}>$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** ByteFallback: runs of <0xXX> tokens become the text their bytes spell, or one U+FFFD per byte when they are not valid UTF-8. */
export const byteFallback: TokenDecoder = (tokens) => {
  const out: string[] = [];
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length === 0) return;
    try {
      out.push(strictUtf8.decode(new Uint8Array(bytes)));
    } catch {
      for (const _ of bytes) out.push('\ufffd');
    }
    bytes = [];
  };
  for (const token of tokens) {
    if (BYTE_TOKEN.test(token)) bytes.push(parseInt(token.slice(3, 5), 16));
    else {
      flush();
      out.push(token);
    }
  }
  flush();
  return out;
};

/** Fuse: all tokens joined into one. */
export const fuse: TokenDecoder = (tokens) => [tokens.join('')];

/** Strip: up to `start` leading and `stop` trailing `content` characters off each token. */
export function strip(content: string, start: number, stop: number): TokenDecoder {
  return (tokens) =>
    tokens.map((token) => {
      const chars = [...token];
      let from = 0;
      while (from < Math.min(start, chars.length) && chars[from] === content) from++;
      let to = chars.length;
      while (chars.length - to < stop && to > from && chars[to - 1] === content) to--;
      return chars.slice(from, to).join('');
    });
}

/** Replace as a decoder: the normalizer's replacement on each token. */
export function replaceDecoder(replace: Normalizer): TokenDecoder {
  return (tokens) => tokens.map(replace);
}

export function decoderSequence(steps: readonly TokenDecoder[]): TokenDecoder {
  return (tokens) => steps.reduce((t, step) => step(t), tokens);
}

/** The decoded text: the decoder's tokens joined, or without a decoder the tokens joined with spaces (as HF). */
export function decodeWith(decoder: TokenDecoder | null, tokens: string[]): string {
  return decoder ? decoder(tokens).join('') : tokens.join(' ');
}
