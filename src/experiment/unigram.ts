// The no-context reference line: the cross-entropy of the validation targets under a predictor
// that ignores its input and always gives each id its frequency among the training split's
// targets (add-one smoothed over the ids that can be targets, so an id unseen in training costs a
// finite amount). A model whose validation loss is not below it has learned no more than token
// (or class) frequencies.
//
// Targets follow the task's own rule, on both splits: masked LM scores masked positions, which
// are never special tokens, so counts are of the training windows' non-special tokens and the
// specials are not in the support; causal LM scores every next token (counts: each training
// window's tokens after its first); image classification scores class labels (counts: the
// training labels, i.e. the class prior). The validation targets are exactly those the
// validation loss is computed on: the task's fixed validation batches (for masked LM their static
// masks are drawn from the experiment's first seed, `validationSeed`, for every seed, so all seeds
// score one validation set and share one line; runs made before that masked each seed's set with
// its own seed and have a line per seed, nearly equal, and no validationSeed in the record).
//
// The runner computes it once per seed and saves UNIGRAM_FILE in the seed's root (layout.ts);
// the report reads it (null for run directories made before it existed, until they are run again).

import { IGNORE_INDEX, TokenStream, loadMnist, specialIds, type ImageDatasetName, type TokenShards } from '../data/index.ts';
import type { Tokenizer } from '../tokenize/index.ts';
import type { MicroBatch } from '../train/index.ts';

export const UNIGRAM_FILE = 'unigram.json';

export interface UnigramRecord {
  /** Mean cross-entropy (nats) per validation target. */
  loss: number;
  /** How many validation targets it is the mean over. */
  targets: number;
  /** How many training targets the frequencies were counted from. */
  trainingTargets: number;
  /** The seed of the validation batches' static masks, shared by the experiment's seeds; absent in runs made before they were shared. */
  validationSeed?: number;
}

/**
 * Mean of -ln p(t) over `targets` (IGNORE_INDEX skipped), where p(id) = (counts[id] + 1) / (N + K)
 * for the K ids in [0, counts.length) not in `excluded`, and N is their total count.
 */
export function unigramCrossEntropy(counts: ArrayLike<number>, targets: Iterable<number>, excluded: ReadonlySet<number> = new Set()): { loss: number; targets: number } {
  let total = 0;
  let support = 0;
  for (let id = 0; id < counts.length; id++) {
    if (excluded.has(id)) continue;
    total += counts[id]!;
    support++;
  }
  let sum = 0;
  let n = 0;
  for (const t of targets) {
    if (t === IGNORE_INDEX) continue;
    if (t < 0 || t >= counts.length || excluded.has(t)) throw new Error(`unigram: validation target ${t} is outside the ${support} ids that can be targets`);
    sum -= Math.log((counts[t]! + 1) / (total + support));
    n++;
  }
  if (n === 0) throw new Error('unigram: the validation batches hold no targets');
  return { loss: sum / n, targets: n };
}

/** Every target id of the validation batches, in order (IGNORE_INDEX included; skipped when scored). */
export function* validationTargets(batches: readonly MicroBatch[]): Iterable<number> {
  for (const b of batches) yield* b.targets.i;
}

/** Token counts of a corpus's training windows (its training shards, windows of length seqLen), as a text task's targets would see them. */
export function textTrainingCounts(shards: TokenShards, tokenizer: Tokenizer, seqLen: number, kind: 'masked-lm' | 'causal-lm'): { counts: Float64Array; excluded: ReadonlySet<number> } {
  const stream = new TokenStream(shards, { windowLength: seqLen, batchSize: 1 });
  const excluded = kind === 'masked-lm' ? specialIds(tokenizer) : new Set<number>();
  const counts = new Float64Array(tokenizer.vocabSize);
  try {
    for (let w = 0; w < stream.windowCount; w++) {
      const tokens = stream.window(w).tokens;
      for (let t = kind === 'causal-lm' ? 1 : 0; t < tokens.length; t++) if (!excluded.has(tokens[t]!)) counts[tokens[t]!]!++;
    }
  } finally {
    stream.close();
  }
  return { counts, excluded };
}

/** Class counts of an image dataset's training split (the class prior). */
export function imageTrainingCounts(data: ImageDatasetName, classes: number): Float64Array {
  const counts = new Float64Array(classes);
  for (const label of loadMnist(data, 'train').labels) counts[label]!++;
  return counts;
}

/** The record for validation batches scored against training counts. */
export function unigramRecord(counts: Float64Array, excluded: ReadonlySet<number>, validation: readonly MicroBatch[], validationSeed: number): UnigramRecord {
  const { loss, targets } = unigramCrossEntropy(counts, validationTargets(validation), excluded);
  return { loss, targets, trainingTargets: counts.reduce((a, c, id) => a + (excluded.has(id) ? 0 : c), 0), validationSeed };
}
