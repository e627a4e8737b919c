// Experiments: a spec (spec.ts) naming data, tokenizer, a small and a large model with their
// budgets and the methods to compare; the runner (runner.ts) that runs each leg once and resumes;
// the run directory's layout and records (layout.ts); the unigram reference line (unigram.ts). The report is src/report.

export { SpecError, SCRATCH, isReference, methodBudget, parseSpec, readSpec, specHash, specSeeds, usesSmall, type ExperimentSpec, type MethodSpec, type ModelSpec, type TokenizerSpec, type TrainingBudget } from './spec.ts';
export { resolveModels, type ExperimentModels } from './configs.ts';
export { ExperimentError, claimDir, firstDifference, readSpecRecord } from './claim.ts';
export { runExperiment, type ExperimentRun, type LegPhase, type RunOptions, type StoppedLeg } from './runner.ts';
export { prepareExperimentData } from './own-data.ts';
export * from './layout.ts';
export { legGrowth } from './growth.ts';
export { UNIGRAM_FILE, unigramCrossEntropy, type UnigramRecord } from './unigram.ts';
