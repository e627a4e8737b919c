// Byte-level pre-tokenisation and decoding as in GPT-2 (openai/gpt-2 encoder.py) and HuggingFace
// tokenizers' ByteLevel pre-tokenizer/decoder: text is split with GPT-2's regex, each piece is
// UTF-8 encoded and every byte is shown as one printable character (the bytes_to_unicode map,
// where a space becomes 'Ġ'), so merges work on strings yet any text round-trips.

import { onigurumaToJs, type PieceSplit } from './pre-tokenizers.ts';

/**
 * GPT-2's pre-tokenisation pattern, read as HF's ByteLevel reads it (Oniguruma: \s is Unicode's
 * White_Space, so U+0085 is a space and U+FEFF is not; JavaScript's \s has it the other way),
 * through the same rewrite as a Split pattern.
 */
const GPT2_PATTERN = new RegExp(onigurumaToJs("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"), 'gu');

/** bytes_to_unicode: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards. */
function bytesToUnicode(): string[] {
  const map: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    map[b] = String.fromCharCode(printable ? b : next++);
  }
  return map;
}

export const BYTE_TO_CHAR: readonly string[] = bytesToUnicode();
const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((ch, b) => [ch, b]));
const utf8 = new TextEncoder();
const utf8Lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export interface ByteLevelOptions {
  addPrefixSpace: boolean;
  useRegex: boolean;
}

export const GPT2_BYTE_LEVEL: ByteLevelOptions = { addPrefixSpace: false, useRegex: true };

function toByteChars(piece: string): string {
  let out = '';
  for (const b of utf8.encode(piece)) out += BYTE_TO_CHAR[b];
  return out;
}

/**
 * The words BPE sees: `text` split by the steps before ByteLevel (pre-tokenizers.ts; none for
 * GPT-2), then each piece given its prefix space and split with GPT-2's regex (as ByteLevel does
 * to every piece it receives), each as byte characters.
 */
export function preTokenizeByteLevel(text: string, opts: ByteLevelOptions, steps: readonly PieceSplit[] = []): string[] {
  let pieces = [text];
  for (const step of steps) pieces = pieces.flatMap(step);
  if (opts.addPrefixSpace) pieces = pieces.map((p) => (p.startsWith(' ') ? p : ' ' + p));
  if (opts.useRegex) pieces = pieces.flatMap((p) => p.match(GPT2_PATTERN) ?? []);
  return pieces.map(toByteChars);
}

/** Joins byte-character tokens and decodes the bytes as UTF-8 (invalid sequences become U+FFFD). */
export function decodeByteLevel(tokens: readonly string[]): string {
  const bytes: number[] = [];
  for (const token of tokens) {
    for (const ch of token) {
      const b = CHAR_TO_BYTE.get(ch);
      if (b !== undefined) bytes.push(b);
      else bytes.push(...utf8.encode(ch));
    }
  }
  return utf8Lossy.decode(new Uint8Array(bytes));
}
