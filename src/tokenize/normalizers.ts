// The text normalizers of SentencePiece-style tokenizer.json files (HuggingFace tokenizers'
// normalizers/prepend.rs, replace.rs, unicode.rs and Sequence), each a function of the text:
// Llama 2 and Mistral v0.1 write Sequence [Prepend("▁"), Replace(" " -> "▁")], Gemma
// Replace(" " -> "▁") alone. Byte-level files take only the Unicode forms (bpe.ts).

import type { UnicodeForm } from './pre-tokenizers.ts';

export type Normalizer = (text: string) => string;

/** Prepend: `prefix` before any non-empty text. */
export function prepend(prefix: string): Normalizer {
  return (text) => (text.length > 0 ? prefix + text : text);
}

/** Replace: every match of `pattern` (flag g) becomes `content`, taken literally. Also the Replace decoder's step on each token (decoders.ts). */
export function replace(pattern: RegExp, content: string): Normalizer {
  return (text) => text.replace(pattern, () => content);
}

export function unicodeForm(form: UnicodeForm): Normalizer {
  return (text) => text.normalize(form);
}

export function normalizerSequence(steps: readonly Normalizer[]): Normalizer {
  return (text) => steps.reduce((t, step) => step(t), text);
}
