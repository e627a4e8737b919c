// BERT text normalisation and pre-tokenisation, following HuggingFace tokenizers' BertNormalizer
// and BertPreTokenizer (the Rust crate; Python's BasicTokenizer does the same): drop NUL, U+FFFD
// and control characters, map whitespace to a space, put spaces around CJK ideographs, lowercase
// and then strip accents (NFD, remove nonspacing marks), and split on whitespace and punctuation
// with every punctuation character a word of its own.

export interface BertNormalizerOptions {
  cleanText: boolean;
  handleChineseChars: boolean;
  /** null: strip accents exactly when lowercasing (HF's default). */
  stripAccents: boolean | null;
  lowercase: boolean;
}

export const BERT_UNCASED_NORMALIZER: BertNormalizerOptions = {
  cleanText: true,
  handleChineseChars: true,
  stripAccents: null,
  lowercase: true,
};

const CONTROL = /\p{C}/u; // Cc Cf Cs Co Cn, as Rust's char::is_other
const WHITESPACE = /\p{White_Space}/u; // as Rust's char::is_whitespace
const PRINTABLE_ASCII = /^[ -~]*$/;
const NONSPACING_MARKS = /\p{Mn}/gu;
// One punctuation character (Unicode P* or any ASCII punctuation), or a run of other non-space characters.
const WORDS = /[\p{P}!-/:-@[-`{-~]|[^\p{P}!-/:-@[-`{-~\p{White_Space}]+/gu;

/** Rust tokenizers' is_chinese_char: the CJK Unified Ideographs blocks. */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

function cleanText(text: string): string {
  if (PRINTABLE_ASCII.test(text)) return text;
  let out = '';
  for (const ch of text) {
    if (ch === '\t' || ch === '\n' || ch === '\r') out += ' ';
    else if (ch === '\0' || ch === '\ufffd' || CONTROL.test(ch)) continue;
    else out += WHITESPACE.test(ch) ? ' ' : ch;
  }
  return out;
}

function spaceChineseChars(text: string): string {
  let out = '';
  for (const ch of text) out += isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
  return out;
}

function stripAccents(text: string): string {
  return text.normalize('NFD').replace(NONSPACING_MARKS, '');
}

/** BertNormalizer: the text the word splitter and the added-token matcher see. */
export function normalizeBert(text: string, opts: BertNormalizerOptions): string {
  if (opts.cleanText) text = cleanText(text);
  if (opts.handleChineseChars) text = spaceChineseChars(text);
  if (opts.lowercase) text = text.toLowerCase();
  if (opts.stripAccents ?? opts.lowercase) text = stripAccents(text);
  return text;
}

/** BertPreTokenizer: words split on whitespace, each punctuation character a word. */
export function preTokenizeBert(text: string): string[] {
  return text.match(WORDS) ?? [];
}
