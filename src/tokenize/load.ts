// Reading and writing HuggingFace tokenizer.json files. Supported: a WordPiece model behind
// BertNormalizer (or none) and BertPreTokenizer, as bert-base-uncased; a BPE model behind a
// ByteLevel pre-tokenizer and no normalizer, as gpt2 and roberta-base, or behind a Sequence of
// Split/Digits steps ending in ByteLevel and an optional Unicode normalizer, as Llama 3, Qwen2
// and SmolLM (pre-tokenizers.ts). Anything else, or a
// malformed file, gets a one-line error naming the file, the field and what was expected. The
// post_processor is kept as written (encode() adds no special tokens).

import fs from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/index.ts';
import type { AddedToken } from './added-tokens.ts';
import type { BertNormalizerOptions } from './bert-pretokenize.ts';
import type { ByteLevelOptions } from './byte-level.ts';
import { ByteLevelBPETokenizer, type ByteLevelBPEConfig } from './bpe.ts';
import { UNICODE_FORMS, digitsSplit, isolatedSplit, splitRegex, type PieceSplit, type UnicodeForm } from './pre-tokenizers.ts';
import type { Tokenizer } from './types.ts';
import { WordPieceTokenizer } from './wordpiece.ts';

type Json = Record<string, unknown>;

const MAX_ID = 0x7fffffff;

/**
 * Errors stay on one line and short: tokens may contain line breaks or be megabytes long (both
 * found by test/fuzz.test.ts). `quote` shows a token; `oneLine` escapes any line break left.
 */
function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

function oneLine(message: string): string {
  return message.replace(/[\n\r\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Field checks that throw "<source>: <field> ...; expected ...". */
class Reader {
  constructor(readonly source: string) {}

  fail(message: string): never {
    throw new Error(oneLine(`${this.source}: ${message}`));
  }

  object(v: unknown, field: string): Json {
    return isObject(v) ? v : this.fail(`${field} must be an object`);
  }

  bool(v: unknown, field: string, fallback: boolean): boolean {
    if (v === undefined || v === null) return fallback;
    return typeof v === 'boolean' ? v : this.fail(`${field} must be true or false`);
  }

  string(v: unknown, field: string, fallback: string): string {
    if (v === undefined || v === null) return fallback;
    return typeof v === 'string' ? v : this.fail(`${field} must be a string`);
  }

  id(v: unknown, field: string): number {
    // At most int32's maximum: token ids travel in Int32Arrays. Any integer used to pass; an id of
    // 2^32 - 1 or more is no array index, so vocabSize did not cover it, BPE's vocabulary-size
    // check let it through and its pair keys (left * 2^21 + right) lost precision, and encode()
    // looped forever on a false match (found by test/fuzz.test.ts).
    return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_ID ? (v as number) : this.fail(`${field} must be a non-negative integer id below 2^31`);
  }

  /** The section's "type", checked against the supported ones (null allowed when listed). */
  type(section: unknown, field: string, supported: (string | null)[]): string | null {
    const expected = supported.map((s) => (s === null ? 'null' : s)).join(' or ');
    if (section === null || section === undefined) return supported.includes(null) ? null : this.fail(`${field} is missing; expected ${expected}`);
    const type = isObject(section) ? section.type : undefined;
    if (typeof type !== 'string') this.fail(`${field} has no "type"; expected ${expected}`);
    return supported.includes(type) ? type : this.fail(`${field} type ${quote(type)} is not supported; expected ${expected}`);
  }
}

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

function readMerges(r: Reader, v: unknown): [string, string][] {
  if (!Array.isArray(v)) r.fail('model.merges must be an array of "a b" strings or [a, b] pairs');
  return v.map((m: unknown, i) => {
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (Array.isArray(pair) && pair.length === 2 && pair.every((p) => typeof p === 'string')) return pair as [string, string];
    return r.fail(`model.merges[${i}] must be an "a b" string or an [a, b] pair`);
  });
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
  const pattern = r.object(o.pattern, `${field}.pattern`);
  const text = pattern.Regex ?? pattern.String;
  if (typeof text !== 'string') r.fail(`${field}.pattern must be {"Regex": "..."} or {"String": "..."}`);
  try {
    return isolatedSplit(splitRegex(pattern.Regex !== undefined ? { Regex: text } : { String: text }));
  } catch (e) {
    return r.fail(`${field}.pattern ${quote(text)} cannot run as a JavaScript regular expression (${(e as Error).message}); expected Oniguruma syntax that JavaScript shares (scoped (?i:...) groups are rewritten)`);
  }
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

function bpeFromJSON(r: Reader, obj: Json, model: Json): ByteLevelBPETokenizer {
  const normalizer = r.type(obj.normalizer, 'normalizer', [...UNICODE_FORMS, null]) as UnicodeForm | null;
  r.type(obj.decoder, 'decoder', ['ByteLevel', null]);
  if (r.string(model.continuing_subword_prefix, 'model.continuing_subword_prefix', '') !== '') r.fail('model.continuing_subword_prefix is not supported; expected "" or null');
  if (r.string(model.end_of_word_suffix, 'model.end_of_word_suffix', '') !== '') r.fail('model.end_of_word_suffix is not supported; expected "" or null');
  if (r.bool(model.byte_fallback, 'model.byte_fallback', false)) r.fail('model.byte_fallback is not supported; expected false');
  if (model.dropout !== undefined && model.dropout !== null && model.dropout !== 0) r.fail('model.dropout is not supported; expected null');
  const unk = model.unk_token;
  return new ByteLevelBPETokenizer({
    vocab: readVocab(r, model),
    merges: readMerges(r, model.merges),
    addedTokens: readAddedTokens(r, obj.added_tokens),
    ...readBytePreTokenizer(r, obj.pre_tokenizer),
    normalizer,
    ignoreMerges: r.bool(model.ignore_merges, 'model.ignore_merges', false),
    unkToken: unk === null || unk === undefined ? null : r.string(unk, 'model.unk_token', ''),
    postProcessor: obj.post_processor ?? null,
  });
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
