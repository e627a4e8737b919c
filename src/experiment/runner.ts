// runExperiment(spec, dir): runs every leg of an experiment once, in order: the small model's
// pretraining (shared by every method that grows from it or distils it), then per method its
// growth (growth.ts) and the large model's training; then, when the spec asks, each method's
// downstream fine-tuning from its final large model. A finished leg (done.json) is skipped; a
// half-finished one continues: train() resumes from the leg's last checkpoint (a leg killed
// before its first checkpoint trains again from step 0, saying so) and a finished growth is
// loaded, not redone. First the spec's growth methods are tried on its configs (check.ts), then
// the directory is claimed for the spec (claim.ts).
//
// A spec with several seeds runs all of that once per seed, each seed in its own root
// (layout.ts): the seed sets the small model's and scratch's initial weights, the data order,
// the masks, dropout and the growth's randomness (LiGO's init and batches). Within a seed all
// large legs share that seed, so they see the same batches. Every leg of every seed is scored on
// the same validation batches: a masked LM's static validation masks come from the experiment's
// first seed (`spec.seed`), not the leg's, so seeds are paired and the report compares methods
// seed by seed (report/paired.ts). Each seed root also gets the unigram reference line
// (unigram.ts), computed once, which records that validation seed; a seed root of an older run
// that masked its own validation set is refused rather than continued on another one.
//
// Stopping (RunOptions.stop, Ctrl-C in `ligo experiment`): the signal is read before each leg,
// before each training step (train() then writes a checkpoint at the step reached) and after each
// of a learned operator's steps (a growth stopped halfway writes nothing and is redone). The run
// then returns with `stopped` saying where; no done.json is written for that leg, so running again
// resumes it from its checkpoint.

import fs from 'node:fs';
import { join } from 'node:path';
import { hash32, type Tensor } from '../tensor/index.ts';
import { loadCheckpoint } from '../io/index.ts';
import { modelFor, type ModelConfig, type ViTConfig } from '../models/index.ts';
import { loadTokenizer, saveTokenizer, type Tokenizer } from '../tokenize/index.ts';
import { buildTokenShards, loadCorpus, splitDocuments, type CorpusName, type PreparedCorpus, type TokenShards } from '../data/index.ts';
import { LOCK_FILE, LOG_FILE, acquireRunLock, assembleRun, loadLatestTrainCheckpoint, checkTokenizerFits, isImageData, latestCheckpointDir, loggedSteps, restartRun, resumeState, runTask, runTokenizer, train, type KiSpec, type RunData, type TrainObserver, type TrainSpec, plural } from '../train/index.ts';
import { dataRecord, getMethod, growAdamState, type GrowContext } from '../grow/index.ts';
import { at, downstreamConfig, resolveModels, type ExperimentModels, type VocabInfo } from './configs.ts';
import { checkMethods } from './check.ts';
import { ExperimentError, claimDir, requireDirectoryPath } from './claim.ts';
import { growOnce, type GrowInput, type Grown } from './growth.ts';
import { DONE_FILE, downstreamDir, legDir, readJsonIfExists, seedRoots, smallDir, trainDir, writeJson, type DoneRecord } from './layout.ts';
import { SCRATCH, methodBudget, usesSmall, type ExperimentSpec, type MethodSpec, type TrainingBudget } from './spec.ts';
import { UNIGRAM_FILE, imageTrainingCounts, textTrainingCounts, unigramRecord, type UnigramRecord } from './unigram.ts';

export interface RunOptions {
  /** One line per leg: what starts, what is reused (prefixed 'seed S: ' when the spec has several seeds). */
  log?: (line: string) => void;
  /** A training observer for a leg ('small' or a method label; 'seed S/...' with several seeds), e.g. a progress bar. */
  observer?: (leg: string) => TrainObserver | undefined;
  /** Progress of learned growth operators (LiGO's steps). */
  onGrowProgress?: GrowContext['onProgress'];
  /** Own data (spec.data names files): the corpus prepareExperimentData tokenised. */
  prepared?: PreparedCorpus;
  /** Stops the run (see the header). */
  stop?: AbortSignal;
  /** Told as a leg starts growing or training, with the lock files this process then holds (a caller that quits at once removes them). */
  onPhase?: (phase: LegPhase) => void;
}

export interface LegPhase {
  /** The leg's name, as in ExperimentRun.ran. */
  leg: string;
  kind: 'growing' | 'training';
  locks: string[];
}

/** Where a stopped run stopped: the leg, and the step its training reached with the checkpoint written there (null: stopped before it trained). */
export interface StoppedLeg {
  leg: string;
  step: number | null;
  checkpointDir: string | null;
}

export interface ExperimentRun {
  dir: string;
  hash: string;
  /** Legs that trained (or grew) in this call, and legs found finished ('seed S/LEG' with several seeds). */
  ran: string[];
  reused: string[];
  /** Set when RunOptions.stop stopped the run; the legs after it did not run. */
  stopped: StoppedLeg | null;
}

interface Context {
  spec: ExperimentSpec;
  /** The run directory (tokenizer, token cache). */
  dir: string;
  /** This seed's root (small/, legs/; the run directory itself for a one-seed spec) and its seed. */
  root: string;
  seed: number;
  /** Leg names' prefix: '' for one seed, 'seed S/' for several. */
  prefix: string;
  models: ExperimentModels;
  tokenizer: Tokenizer | null;
  opts: RunOptions;
  run: ExperimentRun;
  smallWeights: Map<string, Tensor> | null;
}

export function runExperiment(spec: ExperimentSpec, dir: string, opts: RunOptions = {}): ExperimentRun {
  checkMethods(spec);
  requireDirectoryPath(dir);
  const lock = acquireRunLock(dir);
  try {
    const hash = claimDir(dir, spec);
    const tokenizer = experimentTokenizer(spec, dir);
    const models = resolveModels(spec, vocabInfo(spec, tokenizer));
    if (tokenizer) at('spec.tokenizer', () => [models.small, models.large].forEach((c) => checkTokenizerFits(c, tokenizer)));
    const run: ExperimentRun = { dir, hash, ran: [], reused: [], stopped: null };
    const roots = seedRoots(spec, dir);
    for (const { seed, root } of roots) {
      if (run.stopped) break;
      const prefix = roots.length > 1 ? `seed ${seed}/` : '';
      const log = opts.log && prefix ? (line: string) => opts.log!(`seed ${seed}: ${line}`) : opts.log;
      const ctx: Context = { spec, dir, root, seed, prefix, models, tokenizer, opts: { ...opts, ...(log ? { log } : {}) }, run, smallWeights: null };
      writeUnigram(ctx);
      if (spec.methods.some(usesSmall)) runLeg(ctx, 'small', smallDir(root), () => trainSmall(ctx));
      for (const m of spec.methods) runLeg(ctx, m.label, legDir(root, m.label), () => trainMethod(ctx, m));
      const fineTuned = spec.methods.filter((m) => spec.downstream?.methods.includes(m.label));
      for (const m of fineTuned) runLeg(ctx, `${m.label}/downstream`, downstreamDir(legDir(root, m.label)), () => fineTune(ctx, m));
    }
    return run;
  } finally {
    lock.release();
  }
}

/** What the configs take from the tokenizer (image models take nothing). */
function vocabInfo(spec: ExperimentSpec, tokenizer: Tokenizer | null): VocabInfo {
  if (!tokenizer) return { size: 0 };
  const size = spec.tokenizer && 'vocabSize' in spec.tokenizer ? spec.tokenizer.vocabSize : tokenizer.vocabSize;
  return { size, ...(tokenizer.special.eos !== undefined ? { eos: tokenizer.special.eos } : {}) };
}

/** DIR/tokenizer.json: a copy of the spec's tokenizer file, or one trained on the training split; null for image data. */
function experimentTokenizer(spec: ExperimentSpec, dir: string): Tokenizer | null {
  const tok = spec.tokenizer;
  if (!tok || isImageData(spec.data)) return null;
  if ('path' in tok) {
    const copy = join(dir, 'tokenizer.json');
    if (!fs.existsSync(copy)) saveTokenizer(copy, at('spec.tokenizer.path', () => loadTokenizer(tok.path)));
    return loadTokenizer(copy);
  }
  if (typeof spec.data !== 'string') return loadTokenizer(join(dir, 'tokenizer.json')); // trained by prepareExperimentData
  return runTokenizer(resolveModels(spec, { size: tok.vocabSize }).small, spec.data, dir, null);
}

/** The spec's text: a built-in corpus's name, or own data as prepareExperimentData left it. */
function textData(ctx: Context): CorpusName | PreparedCorpus {
  const { data } = ctx.spec;
  if (typeof data === 'string') return data as CorpusName;
  if (!ctx.opts.prepared) throw new ExperimentError('spec.data names your own files: tokenise them first with prepareExperimentData (ligo experiment does)');
  return ctx.opts.prepared;
}

/** The seed root's unigram.json (unigram.ts), computed once, against the reference's validation batches. */
function writeUnigram(ctx: Context): void {
  const path = join(ctx.root, UNIGRAM_FILE);
  if (fs.existsSync(path)) return;
  const { spec, models, tokenizer } = ctx;
  const task = runTask(models.large, specData(ctx), { batchSize: spec.large.training.batchSize, seed: ctx.seed, validationSeed: spec.seed })(null);
  try {
    const { counts, excluded } = isImageData(spec.data)
      ? { counts: imageTrainingCounts(spec.data, (models.large as ViTConfig).num_labels), excluded: new Set<number>() }
      : textTrainingCounts(trainingShards(ctx), tokenizer!, spec.seqLen, task.kind === 'causal-lm' ? 'causal-lm' : 'masked-lm');
    const record = unigramRecord(counts, excluded, task.validation(), spec.seed);
    fs.mkdirSync(ctx.root, { recursive: true });
    writeJson(path, record);
    ctx.opts.log?.(`unigram (no-context) cross-entropy of the validation targets: ${record.loss.toFixed(4)} (${path})`);
  } finally {
    task.close();
  }
}

function trainingShards(ctx: Context): TokenShards {
  const data = textData(ctx);
  return typeof data === 'string' ? buildTokenShards(splitDocuments(loadCorpus(data)).train, ctx.tokenizer!, join(ctx.dir, 'token-cache')) : data.train;
}

/** Runs a leg unless it is done or the run was stopped; `trainLeg` returns null when the stop signal stopped its training (it then sets run.stopped). */
function runLeg(ctx: Context, leg: string, legPath: string, trainLeg: () => DoneRecord | null): void {
  const done = join(legPath, DONE_FILE);
  const name = ctx.prefix + leg;
  if (ctx.run.stopped) return;
  if (fs.existsSync(done)) {
    ctx.opts.log?.(`${leg}: finished in an earlier run (${done})`);
    ctx.run.reused.push(name);
    return;
  }
  const { stop } = ctx.opts;
  if (stop?.aborted) return void (ctx.run.stopped = { leg: name, step: null, checkpointDir: null });
  requireSharedValidation(ctx);
  let record: DoneRecord | null;
  try {
    record = trainLeg();
  } catch (e) {
    if (!stop?.aborted || e !== stop.reason) throw e;
    return void (ctx.run.stopped = { leg: name, step: null, checkpointDir: null }); // a learned operator stopped: nothing of its growth was written
  }
  if (!record) return;
  writeJson(done, record);
  ctx.run.ran.push(name);
}

/**
 * Refuses to train in a seed root that an older ligo started with its own validation masks (its
 * unigram.json has no validationSeed and the seed is not the experiment's first): continuing would
 * score its legs on two validation sets. Its finished legs still report.
 */
function requireSharedValidation(ctx: Context): void {
  const record = readJsonIfExists<UnigramRecord>(join(ctx.root, UNIGRAM_FILE));
  if (!record || record.validationSeed !== undefined || ctx.seed === ctx.spec.seed || isImageData(ctx.spec.data)) return;
  throw new ExperimentError(`${ctx.root} was started by an older ligo that masked seed ${ctx.seed}'s validation set with that seed; seeds now share the experiment's (seed ${ctx.spec.seed}), so its unfinished legs cannot continue: run the spec into a new --out directory (\`ligo report\` still reads this one)`);
}

function trainSmall(ctx: Context): DoneRecord | null {
  const { training } = ctx.spec.small;
  ctx.opts.log?.(`small: pretraining for ${plural(training.steps, 'step')}`);
  return trainLeg(ctx, 'small', { runDir: trainDir(smallDir(ctx.root)), config: ctx.models.small, budget: training });
}

function trainMethod(ctx: Context, m: MethodSpec): DoneRecord | null {
  const legPath = legDir(ctx.root, m.label);
  const grown = m.name === SCRATCH ? null : grow(ctx, m, legPath);
  const training = methodBudget(ctx.spec.large.training, m);
  ctx.opts.log?.(`${m.label}: training the large model for ${plural(training.steps, 'step')}${m.ki ? ` with knowledge inheritance (alpha ${m.ki.alpha}, ${plural(m.ki.steps, 'step')})` : ''}`);
  return trainLeg(ctx, m.label, {
    runDir: trainDir(legPath),
    config: ctx.models.large,
    budget: training,
    initialParams: grown?.params ?? null,
    ...(grown?.schedule ? { growSchedule: grown.schedule } : {}),
    ki: m.ki ? kiSpec(ctx, m.ki) : null,
    initialOptimizer: m.carryOptimizer ? grownOptimizer(ctx, m) : null,
  });
}

/** The spec's downstream fine-tuning of a method's final large model (a fresh head for Brown genres). */
function fineTune(ctx: Context, m: MethodSpec): DoneRecord | null {
  const down = ctx.spec.downstream!;
  const legPath = legDir(ctx.root, m.label);
  const from = latestCheckpointDir(trainDir(legPath))!;
  ctx.opts.log?.(`${m.label}: fine-tuning on ${down.data} for ${plural(down.training.steps, 'step')} from ${from}`);
  const config = downstreamConfig(ctx.models.large, down.data);
  const model = modelFor(config);
  const loaded = model.paramsFromFlat(config, loadCheckpoint(from).tensors, { seed: ctx.seed });
  const data: RunData = { data: down.data, tokenizer: ctx.tokenizer, cacheRoot: ctx.dir, seqLen: down.seqLen, evalBatches: ctx.spec.evalBatches };
  return trainLeg(ctx, `${m.label}/downstream`, { runDir: trainDir(downstreamDir(legPath)), config, budget: down.training, initialParams: new Map(model.flatten(loaded.params)), data });
}

function grow(ctx: Context, m: MethodSpec, legPath: string): Grown {
  const { large } = ctx.models;
  const training = methodBudget(ctx.spec.large.training, m);
  const input: GrowInput = {
    smallConfig: ctx.models.small,
    smallParams: smallWeights(ctx),
    smallDir: latestCheckpointDir(trainDir(smallDir(ctx.root)))!,
    smallStep: resumeState(trainDir(smallDir(ctx.root)))?.step ?? null,
    largeConfig: large,
    seed: ctx.seed,
    tokenizerJson: ctx.tokenizer?.toJSON() ?? null,
    data: { data: dataRecord(ctx.spec.data), batchSize: training.batchSize, seqLen: ctx.spec.seqLen },
    openBatches: () => {
      const task = runTask(large, specData(ctx), { batchSize: training.batchSize, seed: hash32(ctx.seed, 101), validationSeed: ctx.spec.seed })(null);
      return { next: () => task.next().batch, close: () => task.close() };
    },
  };
  ctx.opts.onPhase?.({ leg: ctx.prefix + m.label, kind: 'growing', locks: [join(ctx.dir, LOCK_FILE)] });
  const { onGrowProgress, stop } = ctx.opts;
  const onProgress: GrowContext['onProgress'] = (step, total, loss) => {
    onGrowProgress?.(step, total, loss);
    stop?.throwIfAborted();
  };
  return growOnce(legPath, m, input, { log: (line) => ctx.opts.log?.(`${m.label}: ${line}`), onProgress });
}

/** Staged training: the small model's final Adam state, grown by the method exactly as its weights were. */
function grownOptimizer(ctx: Context, m: MethodSpec): NonNullable<TrainSpec['initialOptimizer']> {
  const ckpt = loadLatestTrainCheckpoint(trainDir(smallDir(ctx.root)))!;
  const step = Math.max(...Object.values(ckpt.state.optimizerSteps));
  return growAdamState({ tensors: ckpt.optimizer, step }, getMethod(m.name), ctx.models.small, ctx.models.large, { seed: ctx.seed, options: m.options });
}

/** The small model's final weights (its last checkpoint), read once. */
function smallWeights(ctx: Context): Map<string, Tensor> {
  return (ctx.smallWeights ??= loadCheckpoint(latestCheckpointDir(trainDir(smallDir(ctx.root)))!).tensors);
}

function kiSpec(ctx: Context, ki: NonNullable<MethodSpec['ki']>): KiSpec {
  const config = ctx.models.small;
  return { teacherConfig: config, teacherParams: modelFor(config).paramsFromFlat(config, smallWeights(ctx)).params, alpha: ki.alpha, steps: ki.steps };
}

/** The spec's data as runTask takes it: built-in shards cached in the run directory, own data as prepareExperimentData left it. */
function specData(ctx: Context): RunData {
  const { spec } = ctx;
  return { data: isImageData(spec.data) ? spec.data : textData(ctx), tokenizer: ctx.tokenizer, cacheRoot: ctx.dir, seqLen: spec.seqLen, evalBatches: spec.evalBatches };
}

interface LegTraining {
  runDir: string;
  config: ModelConfig;
  budget: TrainingBudget;
  initialParams?: Map<string, Tensor> | null;
  growSchedule?: TrainSpec['growSchedule'];
  ki?: KiSpec | null;
  initialOptimizer?: TrainSpec['initialOptimizer'];
  /** The leg's data; default: the spec's. */
  data?: RunData;
}

function trainLeg(ctx: Context, name: string, leg: LegTraining): DoneRecord | null {
  const observer = ctx.opts.observer?.(ctx.prefix + name);
  ctx.opts.onPhase?.({ leg: ctx.prefix + name, kind: 'training', locks: [join(ctx.dir, LOCK_FILE), join(leg.runDir, LOCK_FILE)] });
  // A leg is the spec's to reproduce: one with no checkpoint to resume starts over (its log is redone).
  if (!latestCheckpointDir(leg.runDir) && loggedSteps(join(leg.runDir, LOG_FILE)) > 0) ctx.opts.log?.(`${name}: ${restartRun(leg.runDir)}`);
  // Every leg validates on the batches of the experiment's first seed (see the header).
  const r = train({
    ...assembleRun({ runDir: leg.runDir, config: leg.config, budget: leg.budget, data: leg.data ?? specData(ctx), seed: ctx.seed, validationSeed: ctx.spec.seed }),
    initialParams: leg.initialParams ?? null,
    ...(leg.growSchedule ? { growSchedule: leg.growSchedule } : {}),
    ki: leg.ki ?? null,
    initialOptimizer: leg.initialOptimizer ?? null,
    ...(observer ? { observer } : {}),
  }, ctx.opts.stop);
  if (r.interrupted) {
    ctx.run.stopped = { leg: ctx.prefix + name, step: r.step, checkpointDir: r.checkpointDir };
    return null;
  }
  return { step: r.step, valLoss: r.valLoss, ...(r.valAccuracy !== null ? { valAccuracy: r.valAccuracy } : {}), flopsElectra: r.flopsElectra, flopsSixN: r.flopsSixN, wallSeconds: r.wallSeconds };
}
