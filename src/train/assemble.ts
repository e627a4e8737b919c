// A run assembled in one place: from its training budget, model config, data, tokenizer and seed,
// the task it draws batches from (setup.ts) and the TrainSpec that train() runs. `ligo train`,
// `ligo grow` (the batches of an operator that learns) and every experiment leg go through
// runTask, and `ligo train` and the legs through assembleRun, so a flag and a spec field with the
// same value make the same run: the batch size is the budget's, the budget's fields map to the
// TrainSpec's in budgetSpec.

import { corpusLabel, type OwnCorpus, type PreparedCorpus } from '../data/index.ts';
import type { ModelConfig } from '../models/index.ts';
import type { Tokenizer } from '../tokenize/index.ts';
import { budgetSpec, type TrainingBudget } from './budget.ts';
import type { TrainData, TrainDataName } from './data-names.ts';
import type { TrainSpec } from './loop.ts';
import { defaultTokenCacheDir, prepareOwnData } from './own-data.ts';
import { brownGenreTask, corpusTask, imageDataTask, isClassificationData, isImageData } from './setup.ts';
import type { TaskFactory } from './tasks.ts';

/** What a run's batches come from. */
export interface RunData {
  /** A built-in dataset, or the user's files already tokenised (prepareRunData). */
  data: TrainDataName | PreparedCorpus;
  /** null for image data. */
  tokenizer: Tokenizer | null;
  /** Where a built-in corpus's shards are cached: DIR/token-cache (a run directory, an experiment's, `ligo grow --out`). */
  cacheRoot: string;
  /** Tokens per text example (brown-genre: the longest piece of a document). */
  seqLen: number;
  evalBatches: number;
  /** Told what is tokenised, once. */
  note?: (line: string) => void;
  /** Stops the tokenising (its reason is thrown; nothing is cached). */
  signal?: AbortSignal;
}

/** How batches are drawn: their size, and the seeds of their order (and masks) and of a masked LM's static validation masks (default: seed). */
export interface BatchDraw {
  batchSize: number;
  seed: number;
  validationSeed?: number;
}

/** The task over the data for `config`: images, Brown genre pieces, or a corpus's masked-LM or causal-LM windows. */
export function runTask(config: ModelConfig, d: RunData, draw: BatchDraw): TaskFactory {
  const shape = { batchSize: draw.batchSize, seqLen: d.seqLen, seed: draw.seed, ...(draw.validationSeed !== undefined ? { validationSeed: draw.validationSeed } : {}), evalBatches: d.evalBatches };
  const { data, tokenizer } = d;
  if (typeof data === 'string' && isImageData(data)) return imageDataTask(data, shape);
  if (!tokenizer) throw new Error(`${typeof data === 'string' ? data : 'text data'} needs a tokenizer`);
  if (typeof data === 'string' && isClassificationData(data)) return brownGenreTask(tokenizer, shape);
  return corpusTask(config, data, tokenizer, d.cacheRoot, shape, d.note, d.signal);
}

/** A run: where it writes, what it trains, on what, how long and how (the budget), with which seed. */
export interface RunInput {
  runDir: string;
  config: ModelConfig;
  budget: TrainingBudget;
  data: RunData;
  seed: number;
  validationSeed?: number;
}

/**
 * The TrainSpec of a run, from scratch (fresh weights from `seed`, no teacher or grown schedule):
 * callers add the rest (initialParams, ki, growSchedule, initialOptimizer, observer,
 * keepCheckpoints) by spreading. The task is built here, so a built-in corpus is tokenised now.
 */
export function assembleRun(run: RunInput): TrainSpec {
  const { tokenizer } = run.data;
  return {
    runDir: run.runDir,
    config: run.config,
    initialParams: null,
    ...(tokenizer ? { tokenizer: tokenizer.toJSON() } : {}),
    task: runTask(run.config, run.data, { batchSize: run.budget.batchSize, seed: run.seed, ...(run.validationSeed !== undefined ? { validationSeed: run.validationSeed } : {}) }),
    ...budgetSpec(run.budget),
    seed: run.seed,
    ki: null,
  };
}

interface PrepareOptions {
  batchSize: number;
  seqLen: number;
  cacheDir?: string | undefined;
  stream?: NodeJS.WriteStream;
  signal?: AbortSignal;
}

/**
 * The data as runTask takes it: a built-in dataset's name as it is, the user's files tokenised
 * into the shared token cache (`cacheDir`, default defaultTokenCacheDir(); each split holding at
 * least one batch), progress on `stream`, stopped by `signal`.
 */
export function prepareRunData(data: OwnCorpus, tokenizer: Tokenizer | null, o: PrepareOptions): Promise<PreparedCorpus>;
export function prepareRunData(data: TrainData, tokenizer: Tokenizer | null, o: PrepareOptions): Promise<TrainDataName | PreparedCorpus>;
export async function prepareRunData(data: TrainData, tokenizer: Tokenizer | null, o: PrepareOptions): Promise<TrainDataName | PreparedCorpus> {
  if (typeof data === 'string') return data;
  if (!tokenizer) throw new Error(`${corpusLabel(data)} needs a tokenizer`);
  return prepareOwnData(data, tokenizer, o.cacheDir ?? defaultTokenCacheDir(), { batchSize: o.batchSize, seqLen: o.seqLen }, { ...(o.stream ? { stream: o.stream } : {}), ...(o.signal ? { signal: o.signal } : {}) });
}
