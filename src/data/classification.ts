// Brown Corpus genre classification: each Brown document is labelled with its genre (15
// classes, BROWN_GENRES in a fixed alphabetical order), split into train and validation by the
// same document-id hash as pretraining (splitDocuments), then cut into consecutive pieces.
// Each piece is wrapped as [cls|bos] tokens [sep|eos] (whichever specials the tokenizer has)
// and is at most maxLength tokens long; a document's last piece may be shorter.
// classificationBatch right-pads a batch to its longest example, with attention mask 0 on padding.

import { tensor, type Tensor } from '../tensor/index.ts';
import type { Tokenizer } from '../tokenize/index.ts';
import { loadCorpus } from './corpus.ts';
import { splitDocuments } from './split.ts';

export const BROWN_GENRES = [
  'adventure',
  'belles_lettres',
  'editorial',
  'fiction',
  'government',
  'hobbies',
  'humor',
  'learned',
  'lore',
  'mystery',
  'news',
  'religion',
  'reviews',
  'romance',
  'science_fiction',
] as const;

export interface ClassificationExample {
  inputIds: number[];
  label: number;
  /** The document the piece comes from, e.g. 'brown/ca01'. */
  docId: string;
}

export interface ClassificationDataset {
  labels: readonly string[];
  train: ClassificationExample[];
  validation: ClassificationExample[];
}

export interface ClassificationBatch {
  inputIds: Tensor;
  attentionMask: Tensor;
  labels: Tensor;
}

export function brownGenreDataset(tokenizer: Tokenizer, opts: { maxLength: number; validationFraction?: number }): ClassificationDataset {
  const split = splitDocuments(loadCorpus('brown'), { validationFraction: opts.validationFraction });
  const pieces = (docs: typeof split.train) => docs.flatMap((d) => chunkDocument(tokenizer.encode(d.text), genreLabel(d.genre, d.id), d.id, tokenizer, opts.maxLength));
  return { labels: BROWN_GENRES, train: pieces(split.train), validation: pieces(split.validation) };
}

function genreLabel(genre: string | undefined, id: string): number {
  const label = BROWN_GENRES.indexOf(genre as (typeof BROWN_GENRES)[number]);
  if (label < 0) throw new Error(`Brown document ${id} has unknown genre '${genre}'`);
  return label;
}

/** Consecutive pieces of a document's tokens, each wrapped in the tokenizer's start/end specials. */
function chunkDocument(ids: readonly number[], label: number, docId: string, tokenizer: Tokenizer, maxLength: number): ClassificationExample[] {
  const start = tokenizer.special.cls ?? tokenizer.special.bos;
  const end = tokenizer.special.sep ?? tokenizer.special.eos;
  const body = maxLength - (start === undefined ? 0 : 1) - (end === undefined ? 0 : 1);
  if (!Number.isInteger(body) || body < 1) throw new RangeError(`maxLength ${maxLength} leaves no room for tokens between the special tokens`);
  const out: ClassificationExample[] = [];
  for (let i = 0; i < ids.length; i += body) {
    const inputIds = [...(start === undefined ? [] : [start]), ...ids.slice(i, i + body), ...(end === undefined ? [] : [end])];
    out.push({ inputIds, label, docId });
  }
  return out;
}

/** Pads with the tokenizer's pad id (eos, else 0, when it has none); those positions get attention 0. */
export function classificationBatch(examples: readonly ClassificationExample[], tokenizer: Tokenizer): ClassificationBatch {
  if (examples.length === 0) throw new RangeError('classificationBatch: no examples');
  const pad = tokenizer.special.pad ?? tokenizer.special.eos ?? 0;
  const B = examples.length;
  const T = Math.max(...examples.map((e) => e.inputIds.length));
  const ids = new Int32Array(B * T).fill(pad);
  const mask = new Int32Array(B * T);
  examples.forEach((e, b) => {
    ids.set(e.inputIds, b * T);
    mask.fill(1, b * T, b * T + e.inputIds.length);
  });
  const labels = Int32Array.from(examples, (e) => e.label);
  return { inputIds: tensor(ids, [B, T], 'int32'), attentionMask: tensor(mask, [B, T], 'int32'), labels: tensor(labels, [B], 'int32') };
}
