// The steps a byte-level BPE tokenizer.json may run before its ByteLevel pre-tokenizer, as the
// decoders people train today write them: Llama 3 and Qwen2 split text with a regular expression
// (`Sequence [Split(Regex, Isolated), ByteLevel(use_regex false)]`), SmolLM isolates digits
// (`Sequence [Digits(individual_digits), ByteLevel]`), Qwen2 normalises to NFC. Each step maps
// one piece of text to its pieces (PieceSplit); byte-level.ts turns the last pieces into bytes.
//
// Split patterns are HuggingFace's, in Oniguruma's syntax; they run here as JavaScript regular
// expressions (flags gu), rewritten where the two read the same pattern differently:
// - `(?i:...)`, a scoped case-insensitive group, which JavaScript (Node 20) lacks: its letters
//   become classes ([sS]), so `(?i:'s|'t)` is `(?:'[sS]|'[tT])`;
// - `\s` and `\S`: Oniguruma's are Unicode's White_Space (U+0085 in, U+FEFF out), JavaScript's
//   differ in those two, so both become explicit classes.
// A pattern that uses anything else JavaScript cannot compile (possessive quantifiers, other
// inline flags) is refused in one line when the file loads. Checked against HuggingFace's Rust
// tokenizers on the same files (test/fixtures/tokenizers, scripts/make_tokenizer_fixtures.ts).

/** One pre-tokenizer step: a piece of text to the pieces it splits into (in order, none empty). */
export type PieceSplit = (piece: string) => string[];

/** The Unicode normalizers a byte-level BPE may have (tokenizer.json's normalizer type). */
export const UNICODE_FORMS = ['NFC', 'NFKC', 'NFD', 'NFKD'] as const;
export type UnicodeForm = (typeof UNICODE_FORMS)[number];

/** Unicode's White_Space, which Oniguruma's \s matches. */
const WHITE_SPACE = '\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** `source` (Oniguruma syntax, as tokenizer.json's Split Regex) as a JavaScript pattern; see the header. */
export function onigurumaToJs(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      i++;
      if (next === 's') out += inClass ? WHITE_SPACE : `[${WHITE_SPACE}]`;
      else if (next === 'S') {
        if (inClass) throw new SyntaxError('\\S inside a character class is not supported');
        out += `[^${WHITE_SPACE}]`;
      } else out += c + next;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (source[i + 1] === '^') out += source[++i];
      if (source[i + 1] === ']') out += source[++i]; // a leading ] is a literal
    } else if (source.startsWith('(?i:', i)) {
      const end = groupEnd(source, i);
      out += `(?:${caseless(source.slice(i + 4, end))})`;
      i = end;
    } else out += c;
  }
  return out;
}

/** The index of the `)` closing the group that opens at `start`. */
function groupEnd(source: string, start: number): number {
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') i++;
    else if (c === '[' || c === ']') throw new SyntaxError('a character class inside (?i:...) is not supported');
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  throw new SyntaxError('(?i: has no closing parenthesis');
}

/** Letters of a (?i:...) group's body (literals, alternation and groups only) as [xX] classes. */
function caseless(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      const property = /^\\[pP]\{[^}]*\}/.exec(body.slice(i));
      const escape = property ? property[0] : body.slice(i, i + 2);
      out += escape;
      i += escape.length - 1;
      continue;
    }
    const lower = c.toLowerCase();
    const upper = c.toUpperCase();
    out += lower !== upper && lower.length === 1 && upper.length === 1 ? `[${lower}${upper}]` : c;
  }
  return onigurumaToJs(out);
}

/** The regular expression of a Split or Replace pattern (tokenizer.json's { Regex } or { String }); throws SyntaxError when JavaScript cannot run it. */
export function splitRegex(pattern: { Regex: string } | { String: string }): RegExp {
  const source = 'Regex' in pattern ? onigurumaToJs(pattern.Regex) : pattern.String.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  try {
    return new RegExp(source, 'gu');
  } catch {
    throw new SyntaxError('JavaScript rejects it, e.g. a possessive quantifier (a++), an atomic group or an inline flag other than (?i:...)'); // not the engine's message: it quotes the whole rewritten pattern
  }
}

/** Split with behavior Isolated: every match is a piece, and so is the text between matches. */
export function isolatedSplit(re: RegExp): PieceSplit {
  return (piece) => {
    const out: string[] = [];
    let last = 0;
    for (const m of piece.matchAll(re)) {
      if (m[0].length === 0) continue;
      if (m.index! > last) out.push(piece.slice(last, m.index));
      out.push(m[0]);
      last = m.index! + m[0].length;
    }
    if (last < piece.length) out.push(piece.slice(last));
    return out;
  };
}

/** Digits: numeric characters (Unicode N*, as Rust's char::is_numeric) each alone, or in runs. */
export function digitsSplit(individual: boolean): PieceSplit {
  return isolatedSplit(individual ? /\p{N}/gu : /\p{N}+/gu);
}
