// Own data in an experiment (spec.data names files): before runExperiment, which is synchronous,
// the corpus is tokenised into the shared token cache as `ligo train` does it (prepareRunData,
// src/train/assemble.ts), with the spec's
// tokenizer file or one trained on the corpus's sample and saved as DIR/tokenizer.json, the
// tokenizer every leg then uses. The spec's growth methods are checked first (check.ts) and the
// directory claimed for the spec, as runExperiment does, so a bad method or a directory of
// another spec is refused before anything is written.

import { loadTokenizer } from '../tokenize/index.ts';
import { ownDataTokenizer, prepareRunData } from '../train/index.ts';
import type { PreparedCorpus } from '../data/index.ts';
import { checkMethods } from './check.ts';
import { claimDir, requireDirectoryPath } from './claim.ts';
import { at, resolveModels } from './configs.ts';
import type { ExperimentSpec } from './spec.ts';

/** The spec's own data, tokenised (null for a built-in dataset): pass it to runExperiment as RunOptions.prepared. */
export async function prepareExperimentData(spec: ExperimentSpec, dir: string, io: { stream?: NodeJS.WriteStream; signal?: AbortSignal; cacheDir?: string } = {}): Promise<PreparedCorpus | null> {
  checkMethods(spec);
  const { data, tokenizer: tok } = spec;
  if (typeof data === 'string' || !tok) return null;
  requireDirectoryPath(dir);
  claimDir(dir, spec);
  const note = (line: string) => (io.stream ?? process.stderr).write(`${line}\n`);
  const tokenizer = 'path' in tok ? at('spec.tokenizer.path', () => loadTokenizer(tok.path)) : await ownDataTokenizer(resolveModels(spec, { size: tok.vocabSize }).small, data, dir, null, note);
  const batchSize = Math.max(spec.small.training.batchSize, spec.large.training.batchSize);
  return prepareRunData(data, tokenizer, { batchSize, seqLen: spec.seqLen, ...io });
}
