// Reading the sections of a SentencePiece-style BPE tokenizer.json (sentencepiece-bpe.ts): the
// normalizer (Prepend, Replace, a Unicode form, or a Sequence of them), the pre_tokenizer (none or
// Metaspace) and the decoder (Metaspace, Replace, ByteFallback, Fuse, Strip, or a Sequence of
// them), with HF's defaults and one-line errors for anything else.

import { byteFallback, decoderSequence, fuse, replaceDecoder, strip, type TokenDecoder } from './decoders.ts';
import { metaspaceDecoder, preTokenizeMetaspace, PREPEND_SCHEMES, type MetaspaceOptions, type PrependScheme } from './metaspace.ts';
import { normalizerSequence, prepend, replace, unicodeForm, type Normalizer } from './normalizers.ts';
import { UNICODE_FORMS, type UnicodeForm } from './pre-tokenizers.ts';
import { quote, type Json, type Reader } from './reader.ts';
import type { PreTokenize, SentencePieceBPEConfig, Section } from './sentencepiece-bpe.ts';

const NORMALIZER_STEPS = ['Prepend', 'Replace', ...UNICODE_FORMS];
const DECODER_STEPS = ['Metaspace', 'Replace', 'ByteFallback', 'Fuse', 'Strip'];

/** The steps of a section: itself, or the list of a Sequence (`listKey`), whose items may not be Sequences. */
function steps(r: Reader, section: Json, field: string, listKey: string, supported: string[]): [Json, string][] {
  if (section.type !== 'Sequence') return [[section, field]];
  const list = section[listKey];
  if (!Array.isArray(list)) r.fail(`${field}.${listKey} must be an array`);
  return list.map((o: unknown, i) => {
    const itemField = `${field}.${listKey}[${i}]`;
    r.type(o, itemField, supported);
    return [o as Json, itemField];
  });
}

/** A Replace step's function: its pattern's matches become its content. */
function readReplace(r: Reader, o: Json, field: string): Normalizer {
  const pattern = r.pattern(o.pattern, `${field}.pattern`);
  if (pattern.source === '(?:)') r.fail(`${field}.pattern must not be empty`);
  if (typeof o.content !== 'string') r.fail(`${field}.content must be a string`);
  return replace(pattern, o.content);
}

function readNormalizer(r: Reader, v: unknown): Section<Normalizer> | null {
  if (r.type(v, 'normalizer', [...NORMALIZER_STEPS, 'Sequence', null]) === null) return null;
  const run = steps(r, v as Json, 'normalizer', 'normalizers', NORMALIZER_STEPS).map(([o, field]): Normalizer => {
    if (o.type === 'Replace') return readReplace(r, o, field);
    if (o.type !== 'Prepend') return unicodeForm(o.type as UnicodeForm);
    if (typeof o.prepend !== 'string') r.fail(`${field}.prepend must be a string`);
    return prepend(o.prepend);
  });
  return { run: normalizerSequence(run), json: v };
}

/** Metaspace's options, with HF's defaults (prepend_scheme "always", split true) and its reading of the older add_prefix_space. */
function readMetaspace(r: Reader, o: Json, field: string): MetaspaceOptions {
  const scheme = o.prepend_scheme ?? 'always';
  if (!PREPEND_SCHEMES.includes(scheme as PrependScheme)) r.fail(`${field}.prepend_scheme must be "first", "always" or "never"`);
  if (r.bool(o.add_prefix_space, `${field}.add_prefix_space`, true) === false && scheme !== 'never') {
    r.fail(`${field}.add_prefix_space false does not match prepend_scheme ${quote(scheme as string)}; expected prepend_scheme "never"`);
  }
  return { replacement: r.char(o.replacement, `${field}.replacement`), prependScheme: scheme as PrependScheme, split: r.bool(o.split, `${field}.split`, true) };
}

function readPreTokenizer(r: Reader, v: unknown): Section<PreTokenize> | null {
  if (r.type(v, 'pre_tokenizer', ['Metaspace', null]) === null) return null;
  const options = readMetaspace(r, v as Json, 'pre_tokenizer');
  return { run: (text, atStart) => preTokenizeMetaspace(text, atStart, options), json: v };
}

function readDecoder(r: Reader, v: unknown): Section<TokenDecoder> | null {
  if (r.type(v, 'decoder', [...DECODER_STEPS, 'Sequence', null]) === null) return null;
  const run = steps(r, v as Json, 'decoder', 'decoders', DECODER_STEPS).map(([o, field]): TokenDecoder => {
    if (o.type === 'Metaspace') return metaspaceDecoder(readMetaspace(r, o, field));
    if (o.type === 'Replace') return replaceDecoder(readReplace(r, o, field));
    if (o.type === 'ByteFallback') return byteFallback;
    if (o.type === 'Fuse') return fuse;
    return strip(r.char(o.content, `${field}.content`), r.count(o.start, `${field}.start`), r.count(o.stop, `${field}.stop`));
  });
  return { run: decoderSequence(run), json: v };
}

/** The normalizer, pre_tokenizer and decoder of a SentencePiece-style file. */
export function readSentencePieceSections(r: Reader, obj: Json): Pick<SentencePieceBPEConfig, 'normalizer' | 'preTokenizer' | 'decoder'> {
  return { normalizer: readNormalizer(r, obj.normalizer), preTokenizer: readPreTokenizer(r, obj.pre_tokenizer), decoder: readDecoder(r, obj.decoder) };
}
