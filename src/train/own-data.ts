// A run on the user's own files (`--data PATH`, src/data/files.ts): its tokenizer and its token
// cache, with progress on stderr. The tokenizer is, as for the built-in corpora (setup.ts), the
// run directory's own, the one given (`--tokenizer FILE`, or the starting checkpoint's), or one
// trained on a bounded sample: the first TOKENIZER_SAMPLE_BYTES of the training split. The
// corpus is then hashed and, unless the shared cache already holds it for this tokenizer,
// tokenised (own-corpus.ts), both long steps on the progress display every long command uses,
// in megabytes with rate and ETA.
//
// The shared cache is `$LIGO_TOKEN_CACHE`, else `$XDG_CACHE_HOME/ligo/tokens`, else
// `~/.cache/ligo/tokens` (`--cache-dir` chooses another), so every run on the same files and
// tokenizer reads the same shards.

import os from 'node:os';
import { join } from 'node:path';
import { TOKENIZER_SAMPLE_BYTES, corpusLabel, prepareCorpus, sampleTrainingText, type OwnCorpus, type PreparedCorpus } from '../data/index.ts';
import type { ModelConfig } from '../models/index.ts';
import type { Tokenizer } from '../tokenize/index.ts';
import { stepDisplay, type StepDisplay } from './progress.ts';
import { keptTokenizer, trainRunTokenizer } from './setup.ts';

export function defaultTokenCacheDir(): string {
  return process.env.LIGO_TOKEN_CACHE || join(process.env.XDG_CACHE_HOME || join(os.homedir(), '.cache'), 'ligo', 'tokens');
}

const MB = 1 << 20;
/** Corpora smaller than this are hashed and tokenised in a moment: no progress display. */
const SHOWN_FROM = 16 * MB;
const quiet: StepDisplay = { start: () => {}, update: () => {}, note: () => {}, stop: () => {} };

/** The run's tokenizer for own data (see the header), saved as RUN_DIR/tokenizer.json. */
export async function ownDataTokenizer(config: ModelConfig, corpus: OwnCorpus, runDir: string, fromTokenizer: unknown | null, note: (line: string) => void = () => {}): Promise<Tokenizer> {
  const kept = keptTokenizer(runDir, fromTokenizer);
  if (kept) return kept;
  const sample = await sampleTrainingText(corpus);
  return trainRunTokenizer(config, `the first ${TOKENIZER_SAMPLE_BYTES / MB} MB of ${corpusLabel(corpus)}'s training split`, sample, runDir, note);
}

/**
 * The corpus's shards in cacheDir, each split holding at least one batch of `batchSize` x
 * `seqLen` tokens; `signal` stops a build (nothing is cached). Progress goes to `stream`.
 */
export async function prepareOwnData(corpus: OwnCorpus, tokenizer: Tokenizer, cacheDir: string, shape: { batchSize: number; seqLen: number }, io: { stream?: NodeJS.WriteStream; signal?: AbortSignal } = {}): Promise<PreparedCorpus> {
  const stream = io.stream ?? process.stderr;
  const displays = new Map<string, StepDisplay>();
  const progress = (phase: 'hashing' | 'tokenising', done: number, total: number) => {
    let d = displays.get(phase);
    if (!d) {
      if (phase === 'tokenising') {
        displays.get('hashing')?.stop();
        stream.write(`tokenising ${corpusLabel(corpus)} (${(total / MB).toFixed(1)} MB; cached in ${cacheDir})\n`);
      }
      d = total < SHOWN_FROM ? quiet : stepDisplay({ label: `${phase}: MB`, logEvery: Math.max(1, Math.round(total / MB / 10)), stream, unit: 'MB' });
      d.start(Math.ceil(total / MB), 0);
      displays.set(phase, d);
    }
    d.update(Math.ceil(done / MB), '');
  };
  try {
    const prepared = await prepareCorpus(corpus, tokenizer, cacheDir, { minTokens: shape.batchSize * shape.seqLen, progress, note: (line) => stream.write(`${line}\n`), ...(io.signal ? { signal: io.signal } : {}) });
    const { train, validation } = prepared;
    stream.write(`${train.reused ? 'reusing' : 'cached'} ${corpusLabel(corpus)}: ${train.manifest.tokenCount.toLocaleString('en')} training and ${validation.manifest.tokenCount.toLocaleString('en')} validation tokens (${train.manifest.docCount.toLocaleString('en')} + ${validation.manifest.docCount.toLocaleString('en')} documents) in ${join(train.dir, '..')}\n`);
    return prepared;
  } finally {
    displays.forEach((d) => d.stop());
  }
}
