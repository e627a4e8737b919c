// Reading and writing HuggingFace tokenizer.json files. Supported: a WordPiece model behind
// BertNormalizer (or none) and BertPreTokenizer, as bert-base-uncased; a BPE model behind a
// ByteLevel pre-tokenizer and no normalizer, as gpt2 and roberta-base, or behind a Sequence of
// Split/Digits steps ending in ByteLevel and an optional Unicode normalizer, as Llama 3, Qwen2
// and SmolLM (pre-tokenizers.ts); a BPE model on characters with no pre-tokenizer or Metaspace,
// as the files converted from SentencePiece (Llama 2, TinyLlama, Mistral: sentencepiece-bpe.ts,
// load-sentencepiece.ts). Anything else, or a malformed file, gets a one-line error naming the
// file, the field and what was expected. The post_processor is kept as written (encode() adds no
// special tokens).

import fs from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/index.ts';
import type { AddedToken } from './added-tokens.ts';
import type { BertNormalizerOptions } from './bert-pretokenize.ts';
import type { ByteLevelOptions } from './byte-level.ts';
import type { BpeModelConfig } from './bpe-model.ts';
import { ByteLevelBPETokenizer, type ByteLevelBPEConfig } from './bpe.ts';
import { readSentencePieceSections } from './load-sentencepiece.ts';
import { UNICODE_FORMS, digitsSplit, isolatedSplit, type PieceSplit, type UnicodeForm } from './pre-tokenizers.ts';
import { isObject, oneLine, quote, Reader, type Json } from './reader.ts';
import { SentencePieceBPETokenizer } from './sentencepiece-bpe.ts';
import type { Tokenizer } from './types.ts';
import { WordPieceTokenizer } from './wordpiece.ts';

function readVocab(r: Reader, model: Json): Map<string, number> {
  const vocab = r.object(model.vocab, 'model.vocab');
  return new Map(Object.entries(vocab).map(([token, id]) => [token, r.id(id, `model.vocab[${quote(token)}]`)]));
}

function readAddedTokens(r: Reader, v: unknown): AddedToken[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) r.fail('added_tokens must be an array');
  return v.map((t: unknown, i) => {
    const o = r.object(t, `added_tokens[${i}]`);
    const content = r.string(o.content, `added_tokens[${i}].content`, '');
    if (!content) r.fail(`added_tokens[${i}].content must be a non-empty string`);
    const flag = (name: string, fallback: boolean) => r.bool(o[name], `added_tokens[${i}].${name}`, fallback);
    return {
      id: r.id(o.id, `added_tokens[${i}].id`),
      content,
      single_word: flag('single_word', false),
      lstrip: flag('lstrip', false),
      rstrip: flag('rstrip', false),
      normalized: flag('normalized', true),
      special: flag('special', false),
    };
  });
}

function readBertNormalizer(r: Reader, v: unknown): BertNormalizerOptions | null {
  if (r.type(v, 'normalizer', ['BertNormalizer', null]) === null) return null;
  const o = v as Json;
  const stripAccents = o.strip_accents === null || o.strip_accents === undefined ? null : r.bool(o.strip_accents, 'normalizer.strip_accents', false);
  return {
    cleanText: r.bool(o.clean_text, 'normalizer.clean_text', true),
    handleChineseChars: r.bool(o.handle_chinese_chars, 'normalizer.handle_chinese_chars', true),
    stripAccents,
    lowercase: r.bool(o.lowercase, 'normalizer.lowercase', true),
  };
}

function wordPieceFromJSON(r: Reader, obj: Json, model: Json): WordPieceTokenizer {
  r.type(obj.pre_tokenizer, 'pre_tokenizer', ['BertPreTokenizer']);
  const hasDecoder = r.type(obj.decoder, 'decoder', ['WordPiece', null]) !== null;
  const maxChars = model.max_input_chars_per_word ?? 100;
  return new WordPieceTokenizer({
    vocab: readVocab(r, model),
    addedTokens: readAddedTokens(r, obj.added_tokens),
    unkToken: r.string(model.unk_token, 'model.unk_token', '[UNK]'),
    normalizer: readBertNormalizer(r, obj.normalizer),
    continuingSubwordPrefix: r.string(model.continuing_subword_prefix, 'model.continuing_subword_prefix', '##'),
    maxInputCharsPerWord: r.id(maxChars, 'model.max_input_chars_per_word'),
    decoderCleanup: hasDecoder ? r.bool((obj.decoder as Json).cleanup, 'decoder.cleanup', true) : true,
    postProcessor: obj.post_processor ?? null,
  });
}

/** Merges as "a b" strings or [a, b] pairs, and whether they were pairs (written back the same way). */
function readMerges(r: Reader, v: unknown): Pick<BpeModelConfig, 'merges' | 'mergesAsPairs'> {
  if (!Array.isArray(v)) r.fail('model.merges must be an array of "a b" strings or [a, b] pairs');
  const merges = v.map((m: unknown, i) => {
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (Array.isArray(pair) && pair.length === 2 && pair.every((p) => typeof p === 'string')) return pair as [string, string];
    return r.fail(`model.merges[${i}] must be an "a b" string or an [a, b] pair`);
  });
  return { merges, mergesAsPairs: Array.isArray(v[0]) };
}

/** The BPE model section, for both kinds of BPE tokenizer. */
function readBpeModel(r: Reader, model: Json): BpeModelConfig {
  if (r.string(model.continuing_subword_prefix, 'model.continuing_subword_prefix', '') !== '') r.fail('model.continuing_subword_prefix is not supported; expected "" or null');
  if (r.string(model.end_of_word_suffix, 'model.end_of_word_suffix', '') !== '') r.fail('model.end_of_word_suffix is not supported; expected "" or null');
  if (model.dropout !== undefined && model.dropout !== null && model.dropout !== 0) r.fail('model.dropout is not supported; expected null');
  const unk = model.unk_token;
  return {
    vocab: readVocab(r, model),
    ...readMerges(r, model.merges),
    unkToken: unk === null || unk === undefined ? null : r.string(unk, 'model.unk_token', ''),
    fuseUnk: r.bool(model.fuse_unk, 'model.fuse_unk', false),
    byteFallback: r.bool(model.byte_fallback, 'model.byte_fallback', false),
    ignoreMerges: r.bool(model.ignore_merges, 'model.ignore_merges', false),
  };
}

/** A ByteLevel step's options. */
function readByteLevel(r: Reader, o: Json, field: string): ByteLevelOptions {
  return { addPrefixSpace: r.bool(o.add_prefix_space, `${field}.add_prefix_space`, false), useRegex: r.bool(o.use_regex, `${field}.use_regex`, true) };
}

/** One step before ByteLevel in a Sequence pre-tokenizer (pre-tokenizers.ts). */
function readStep(r: Reader, o: Json, field: string): PieceSplit {
  if (r.type(o, field, ['Split', 'Digits']) === 'Digits') return digitsSplit(r.bool(o.individual_digits, `${field}.individual_digits`, false));
  if (o.behavior !== 'Isolated') r.fail(`${field}.behavior ${quote(String(o.behavior))} is not supported; expected "Isolated"`);
  if (r.bool(o.invert, `${field}.invert`, false)) r.fail(`${field}.invert true is not supported; expected false`);
  return isolatedSplit(r.pattern(o.pattern, `${field}.pattern`));
}

/** ByteLevel alone, or a Sequence of Split/Digits steps ending in ByteLevel (Llama 3, Qwen2, SmolLM). */
function readBytePreTokenizer(r: Reader, pre: unknown): Pick<ByteLevelBPEConfig, 'byteLevel' | 'readPreTokenizer'> {
  if (r.type(pre, 'pre_tokenizer', ['ByteLevel', 'Sequence']) === 'ByteLevel') return { byteLevel: readByteLevel(r, pre as Json, 'pre_tokenizer'), readPreTokenizer: { steps: [], json: pre } };
  const list = (pre as Json).pretokenizers;
  if (!Array.isArray(list) || list.length === 0) r.fail('pre_tokenizer.pretokenizers must be a non-empty array');
  const steps = list.map((o: unknown, i) => r.object(o, `pre_tokenizer.pretokenizers[${i}]`));
  const last = steps.length - 1;
  if (steps[last]!.type !== 'ByteLevel') r.fail(`pre_tokenizer.pretokenizers[${last}] must be ByteLevel (byte-level BPE reads bytes); expected Split and Digits steps, then ByteLevel`);
  return {
    byteLevel: readByteLevel(r, steps[last]!, `pre_tokenizer.pretokenizers[${last}]`),
    readPreTokenizer: { steps: steps.slice(0, last).map((o, i) => readStep(r, o, `pre_tokenizer.pretokenizers[${i}]`)), json: pre },
  };
}

/** A byte-level BPE (ByteLevel pre-tokenizer, or a Sequence ending in one) or a SentencePiece-style BPE (no pre-tokenizer, or Metaspace). */
function bpeFromJSON(r: Reader, obj: Json, model: Json): ByteLevelBPETokenizer | SentencePieceBPETokenizer {
  const pre = r.type(obj.pre_tokenizer, 'pre_tokenizer', ['ByteLevel', 'Sequence', 'Metaspace', null]);
  const common = { ...readBpeModel(r, model), addedTokens: readAddedTokens(r, obj.added_tokens), postProcessor: obj.post_processor ?? null };
  if (pre === 'Metaspace' || pre === null) return new SentencePieceBPETokenizer({ ...common, ...readSentencePieceSections(r, obj) });
  const preTokenizer = readBytePreTokenizer(r, obj.pre_tokenizer);
  const normalizer = r.type(obj.normalizer, 'normalizer', [...UNICODE_FORMS, null]) as UnicodeForm | null;
  r.type(obj.decoder, 'decoder', ['ByteLevel', null]);
  return new ByteLevelBPETokenizer({ ...common, ...preTokenizer, normalizer });
}

/** A tokenizer from parsed tokenizer.json content; `source` names it in errors. */
export function tokenizerFromJSON(obj: unknown, source = 'tokenizer.json'): Tokenizer {
  const r: Reader = new Reader(source);
  if (!isObject(obj) || !isObject(obj.model)) r.fail('expected a HuggingFace tokenizer.json object with a "model" section');
  const model = obj.model;
  const type = r.type(model, 'model', ['WordPiece', 'BPE']);
  try {
    const tokenizer = type === 'WordPiece' ? wordPieceFromJSON(r, obj, model) : bpeFromJSON(r, obj, model);
    checkAddedTokensSearchable(r, tokenizer, obj.added_tokens);
    return tokenizer;
  } catch (e) {
    const message = (e as Error).message;
    throw message.startsWith(`${source}: `) ? e : new Error(oneLine(`${source}: ${message}`));
  }
}

/**
 * Added tokens are found with one regular expression (added-tokens.ts), which V8 compiles on first
 * use, separately for one-byte and two-byte text, and refuses past an internal size limit (one
 * token of 32768 characters already): such a file loaded, then encode() threw a SyntaxError
 * (found by test/fuzz.test.ts). Encoding one text of each kind here makes that a load error.
 */
function checkAddedTokensSearchable(r: Reader, tokenizer: Tokenizer, added: unknown): void {
  try {
    tokenizer.encode('');
    tokenizer.encode('\u4e2d');
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    const longest = readAddedTokens(r, added).reduce((n, t) => Math.max(n, t.content.length), 0);
    r.fail(`added_tokens are too long to search for (the longest has ${longest} characters); expected added tokens of at most a few thousand characters`);
  }
}

function tokenizerFile(path: string): string {
  return fs.existsSync(path) && fs.statSync(path).isDirectory() ? join(path, 'tokenizer.json') : path;
}

/** Reads a tokenizer.json (or the tokenizer.json in a directory). */
export function loadTokenizer(path: string): Tokenizer {
  const file = tokenizerFile(path);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(oneLine(`${file}: cannot read the tokenizer file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected a HuggingFace tokenizer.json`));
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new Error(oneLine(`${file}: not valid JSON (${(e as Error).message}); expected a HuggingFace tokenizer.json`));
  }
  return tokenizerFromJSON(obj, file);
}

/** Writes the tokenizer as tokenizer.json at `path` (or inside it, when it is a directory), atomically. */
export function saveTokenizer(path: string, tokenizer: Tokenizer): string {
  const file = tokenizerFile(path);
  writeFileAtomic(file, JSON.stringify(tokenizer.toJSON()));
  return file;
}
