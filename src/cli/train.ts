// `ligo train`: parses and checks the flags, resolves the config, tokenizer and data, and calls
// train() (src/train). Usage errors print one line and exit with code 2; a diverged or locked
// run exits with code 1. The summary goes to stdout, progress and notes to stderr.
//
// The resolved flags are kept in RUN_DIR/run.json, the paths they name absolute (so the run
// resumes from any directory; src/train/run-flags.ts). Running `ligo train --out RUN_DIR` again
// resumes that run from its last checkpoint with the saved flags, and says so, with the learning
// rate it resumes at. The cadence flags (--eval-every, --save-every, --log-every,
// --keep-checkpoints) may change on a resume, and --steps too under a constant schedule; a
// higher --steps under a decaying one would stretch the decay (the learning rate jumps back
// up), so like any other changed flag it is refused, in one line naming every flag that
// differs, unless --allow-change (e.g. a lower --lr after divergence); --steps below the step
// reached is always refused; the model and data never change. A resume with nothing to do (a
// finished run) says so and changes no file. A run whose log records progress but which has no
// usable checkpoint is refused (src/train/checkpoint.ts) until --restart deletes its checkpoints
// and log, saying so, and trains it from step 0 with run.json's flags and the ones given.
// Presets are adapted to the data: image presets take MNIST's 28x28x1 images and 10 labels;
// GPT-2 presets take the trained tokenizer's end-of-text id as bos/eos.
//
// The flags describe a TrainingBudget (src/train/budget.ts, the type experiment specs use too);
// their ranges, defaults and help lines are the run options' table (src/train/options.ts), which
// spec fields are read by too: validation every steps/20 updates (at least 10) and a checkpoint
// every steps/5 unless given. The run is assembled as an experiment's legs are (assembleRun,
// src/train/assemble.ts).
//
// Ctrl-C (or SIGTERM) is answered at once (src/cli/interrupt.ts) and stops after the current
// update: a checkpoint at the step reached, the run directory unlocked, one line with the command
// that resumes, exit code 130 (143). A second Ctrl-C quits at once without saving, saying so: no
// lock is left and the last complete checkpoint stays valid. A run that fails before training
// starts removes the run directory it created.
//
// --ki-teacher DIR must share the student's model family and tokenizer (src/train/teacher.ts);
// a larger teacher is plain distillation, said so. The start line names the validation cadence
// and every active option that changes training.
//
// `--data brown-genre` fine-tunes on Brown genre classification: a masked-LM BERT/RoBERTa
// (checkpoint or preset) gets a fresh sequence-classification head over the 15 genres (seeded by
// --seed; the MLM head is left out), a classification checkpoint over those genres continues.
// Validation reports loss and accuracy.
//
// `--from DIR` of a grown model (`ligo grow` output with grow.json) trains with the schedule the
// growth operator left: MSLT's freeze, MSG's mask ramp (loadGrowSchedule; steps count from this
// run's start), and LEMON's learning-rate advice, printed (the flags decide the schedule).
//
// Efficient training: `--layer-drop` (progressive layer dropping, any model; `--layer-drop-theta`
// and `--layer-drop-gamma` set its schedule) and `--token-drop KEEP_RATIO` (token dropping,
// BERT/RoBERTa masked LM with at least 3 layers) map to TrainSpec.layerDrop and .tokenDrop;
// a model they cannot apply to is a usage error before anything runs.
//
// `--data PATH` trains on the user's own files (src/data/files.ts: text, Markdown, JSON Lines,
// Parquet, gzip; files, directories, globs, several of them): split by document, or
// `--val-data PATH` for validation, tokenised once into the shared token cache (own-data.ts),
// progress on stderr; Ctrl-C while it is tokenised stops with nothing cached (exit code 130).
// `--tokenizer FILE` (any HuggingFace tokenizer.json of a supported kind, with a preset: the
// config's vocab_size follows it) instead of training one.
//
// runTrainOptions is the whole command after flag parsing, for tests and scripts.

import fs from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { UsageError, expectDirectory, guarded, intAtLeast, notPresetOrFile, removeIfFailed, runOption } from './common.ts';
import { listenForInterrupt, signalExitCode, type StopPlan } from './interrupt.ts';
import { dataOptions, dataValues, ownCorpusOf, type OwnDataFlags } from './data-options.ts';
import { loadCheckpoint, writeFileAtomic } from '../io/index.ts';
import { configFromJSON, dims, isCausalLm, modelFor, parameterCount, preset, presetNames, type ModelConfig } from '../models/index.ts';
import { loadGrowSchedule, type GrowSchedule } from '../grow/index.ts';
import type { Tensor } from '../tensor/index.ts';
import { loadTokenizer, tokenizerFromJSON, type Tokenizer } from '../tokenize/index.ts';
import {
  DEFAULT_KEEP_CHECKPOINTS,
  RUN_FILE,
  RUN_OPTIONS as O,
  acquireRunLock,
  assembleRun,
  budgetProblem,
  checkDataFits,
  checkTokenDrop,
  checkTokenizerFits,
  classificationConfigFor,
  consoleProgress,
  corpusOf,
  dataLabel,
  defaultOf,
  isClassificationData,
  isImageData,
  latestCheckpointDir,
  lrAt,
  ownDataTokenizer,
  plural,
  prepareRunData,
  readRunFlags,
  refuseLostRun,
  resolveCheckpointDir,
  resolvedFlag,
  restartRun,
  resumeState,
  runTokenizer,
  scheduleForRun,
  teacherKind,
  trainDataNames,
  trainUntil,
  withResolvedPaths,
  type KiSpec,
  type TeacherKind,
  type TrainData,
  type TrainDataName,
  type TrainResult,
  type TrainSpec,
  type TrainState,
  type TrainingBudget,
} from '../train/index.ts';


/** The flags of `ligo train`, as run.json keeps them. */
export interface TrainRunOptions extends OwnDataFlags {
  config?: string;
  from?: string;
  /** A dataset name, or the user's files (own data). */
  data?: TrainDataName | string[];
  steps: number;
  batchSize: number;
  seqLen: number;
  lr: number;
  warmup: number;
  schedule: 'linear' | 'cosine' | 'constant';
  weightDecay: number;
  clip: number;
  accum: number;
  /** Resolved from --steps when the run starts (defaultEvalEvery, defaultSaveEvery). */
  evalEvery?: number;
  evalBatches: number;
  saveEvery?: number;
  logEvery: number;
  /** Checkpoints kept, the newest (absent in run.json of older runs: the default). */
  keepCheckpoints?: number;
  seed: number;
  kiTeacher?: string;
  kiAlpha: number;
  kiSteps?: number;
  layerDrop?: boolean;
  layerDropTheta?: number;
  layerDropGamma?: number;
  /** Token dropping's keep ratio. */
  tokenDrop?: number;
  /** A tokenizer.json to use instead of training one. */
  tokenizer?: string;
  /** Delete the run directory's checkpoints and log first and train from step 0 (not kept in run.json). */
  restart?: boolean;
}

/** The defaults of the optional flags: the run options' (src/train/options.ts), and those of `ligo train` alone. */
export const TRAIN_DEFAULTS = {
  steps: O.steps.default,
  batchSize: O.batchSize.default,
  seqLen: O.seqLen.default,
  lr: O.lr.default,
  warmup: O.warmup.default,
  schedule: O.schedule.default,
  weightDecay: O.weightDecay.default,
  clip: O.clip.default,
  accum: O.accum.default,
  evalBatches: O.evalBatches.default,
  logEvery: 10,
  keepCheckpoints: DEFAULT_KEEP_CHECKPOINTS,
  seed: O.seed.default,
  kiAlpha: O.kiAlpha.default,
} as const satisfies Partial<TrainRunOptions>;

/** The run's TrainingBudget: the one place flags become budget fields. */
function budgetOf(o: TrainRunOptions): TrainingBudget {
  return {
    steps: o.steps,
    batchSize: o.batchSize,
    lr: o.lr,
    warmupSteps: o.warmup,
    decay: o.schedule,
    weightDecay: o.weightDecay,
    clipNorm: o.clip,
    accumSteps: o.accum,
    evalEvery: o.evalEvery ?? defaultOf(O.evalEvery, o.steps),
    saveEvery: o.saveEvery ?? defaultOf(O.saveEvery, o.steps),
    ...(o.layerDrop ? { layerDrop: { thetaBar: o.layerDropTheta ?? O.layerDropTheta.default, gamma: o.layerDropGamma ?? O.layerDropGamma.default } } : {}),
    ...(o.tokenDrop !== undefined ? { tokenDrop: { keepRatio: o.tokenDrop } } : {}),
  };
}

const EXAMPLE = `
Examples:
  ligo train --config bert-4L-256H --data sotu --out runs/bert-mini --steps 2000 --batch-size 32 --seq-len 128 --lr 2e-4 --warmup 100
  ligo train --from runs/bert-mini --data sotu --out runs/bert-more --steps 500
  ligo train --config vit-tiny --data mnist --out runs/vit --steps 1000 --batch-size 64
  ligo train --config bert-tiny --data corpus.jsonl --out runs/own --steps 1000 --seq-len 128      # your own data (also .txt, .md, .parquet, .gz, directories, globs)
  ligo train --config gpt2-tiny --data shards/*.parquet --text-field content --val-data val.jsonl.gz --out runs/own-gpt2 --steps 1000
  ligo train --config bert-tiny --data books --tokenizer runs/own/tokenizer.json --out runs/own-books --steps 1000
  ligo train --from grown/bert-stack --data sotu --out runs/bert-stack-train --steps 1000      # a grown model (ligo grow), with its grow.json schedule
  ligo train --from runs/bert-mini --data brown-genre --out runs/bert-genre --steps 300 --lr 5e-5 --batch-size 16
  ligo train --from runs/bert-mini --data sotu --out runs/bert-fast --steps 500 --layer-drop --layer-drop-gamma 0.01 --token-drop 0.5
  ligo train --out runs/bert-mini     # resume runs/bert-mini from its last checkpoint (after Ctrl-C or a crash)
  ligo train --out runs/bert-mini --steps 3000 --allow-change     # train further: the linear decay is recomputed to end at step 3000
  ligo train --out runs/bert-mini --lr 1e-4 --allow-change     # resume with a lower learning rate (e.g. after divergence)
  ligo train --out runs/bert-mini --restart     # delete its checkpoints and log and train again from step 0

Resuming: a higher --steps under a decaying --schedule (linear, cosine) stretches the decay, so
the learning rate jumps back up; that needs --allow-change, as any other changed flag does (with
--schedule constant more steps simply continue). The line 'resuming at step N of M' gives the
learning rate it resumes at. The newest --keep-checkpoints checkpoints are kept; one that does
not load is skipped for the one before, saying so.`;

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a model (masked LM, causal LM, image classification, or fine-tune on Brown genres); resumes automatically when RUN_DIR holds a checkpoint')
    .option('--config <preset|file>', 'model preset name (`ligo presets` lists them) or a HuggingFace config.json')
    .option('--from <dir>', 'start from a checkpoint directory (model.safetensors + config.json [+ tokenizer.json] [+ grow.json]) or a run directory')
    .option('--data <name|path...>', `training data: ${trainDataNames.join(', ')} (brown-genre: fine-tune BERT/RoBERTa on Brown genre classification), or your own files, directories or globs (.txt .md .jsonl .json .parquet, .gz)`, dataValues(trainDataNames))
    .requiredOption('--out <dir>', 'run directory (checkpoints, train.jsonl log, tokenizer)')
    .addOption(runOption(O.steps))
    .addOption(runOption(O.batchSize))
    .addOption(runOption(O.seqLen))
    .addOption(runOption(O.lr))
    .addOption(runOption(O.warmup))
    .addOption(runOption(O.schedule))
    .addOption(runOption(O.weightDecay))
    .addOption(runOption(O.clip))
    .addOption(runOption(O.accum))
    .addOption(runOption(O.evalEvery))
    .addOption(runOption(O.evalBatches))
    .addOption(runOption(O.saveEvery))
    .option('--log-every <n>', 'progress line every N updates when stderr is not a terminal', intAtLeast(1), TRAIN_DEFAULTS.logEvery)
    .option('--keep-checkpoints <k>', 'checkpoints to keep, the newest (a resume falls back to the one before when the newest does not load)', intAtLeast(1), TRAIN_DEFAULTS.keepCheckpoints)
    .addOption(runOption(O.seed))
    .option('--ki-teacher <dir>', 'knowledge inheritance: learn from this smaller checkpoint\'s predictions (same model family and tokenizer; a larger one is plain distillation)')
    .addOption(runOption(O.kiAlpha))
    .addOption(runOption(O.kiSteps))
    .option('--layer-drop', 'progressive layer dropping: skip layers per micro-batch, deeper ones and later in training more often')
    .addOption(runOption(O.layerDropTheta))
    .addOption(runOption(O.layerDropGamma))
    .addOption(runOption(O.tokenDrop))
    .option('--tokenizer <file>', 'a HuggingFace tokenizer.json to use instead of training one (with a preset, vocab_size follows it)')
    .option('--allow-change', 'resume with flags that differ from the run\'s saved ones (other than the cadence flags), a higher --steps under a decaying schedule included')
    .option('--restart', 'delete the run directory\'s checkpoints and train.jsonl and train from step 0 (with run.json\'s flags and the ones given)')
    .addHelpText('after', EXAMPLE);
  dataOptions(cmd, true);
  guarded(cmd, (_opts: unknown, command: Command) => runTrain(command));
}

/** Flags that may differ on a resume without --allow-change: when to log, validate and save, and what this call does. */
const FREE_ON_RESUME = new Set(['evalEvery', 'saveEvery', 'logEvery', 'keepCheckpoints', 'allowChange', 'restart', 'cacheDir']);
const flagName = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
const differs = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
const shown = (v: unknown) => (v === undefined ? '(not set)' : v === true ? '(set)' : String(v));
const listed = (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

/**
 * The run's flags: run.json's, with the flags given on this command line. The model and data
 * never change; on a resume (`at`: the checkpoint's state) --steps may not fall below the step
 * reached, and other differences need --allow-change (refused naming every one): --steps only
 * under a decaying schedule, where it moves the end of the decay.
 */
function mergeWithSaved(command: Command, runDir: string, at: TrainState | null): TrainRunOptions {
  const { out: _out, ...given } = command.opts<TrainRunOptions & { out: string; allowChange?: boolean }>();
  const saved = readRunFlags<TrainRunOptions>(runDir);
  if (!saved) return given;
  const merged: Record<string, unknown> = { ...saved };
  const changed: string[] = [];
  for (const [k, v] of Object.entries(given)) {
    if (command.getOptionValueSource(k) !== 'cli' || k === 'allowChange') continue;
    const was = (saved as unknown as Record<string, unknown>)[k];
    const changes = differs(was, resolvedFlag(k, v)); // run.json's paths are resolved (train/run-flags.ts)
    if ((k === 'config' || k === 'from' || k === 'data') && changes) throw new UsageError(`${runDir} holds a run with --${k} ${was ?? '(none)'}; a run cannot change its model or data: use another --out`);
    if (changes) changed.push(k);
    merged[k] = v;
  }
  const o = merged as unknown as TrainRunOptions;
  if (!at) return o;
  if (o.steps < at.step) throw new UsageError(`${runDir} has already reached step ${at.step}; --steps ${o.steps} would end it before that: give --steps ${at.step} or more, or use another --out`);
  const refused = changed.filter((k) => !FREE_ON_RESUME.has(k) && !(k === 'steps' && o.schedule === 'constant'));
  if (refused.length > 0 && !given.allowChange) {
    const was = (k: string) => (saved as unknown as Record<string, unknown>)[k];
    const why = [
      ...(refused.includes('steps') ? [`--steps ${o.steps} moves the end of its ${o.schedule} decay to step ${o.steps}: the learning rate goes from ${at.lr.toExponential(2)} at step ${at.step} to ${lrAt({ peakLr: o.lr, warmupSteps: o.warmup, totalSteps: o.steps, decay: o.schedule }, at.step).toExponential(2)} at step ${at.step + 1}`] : []),
      ...(refused.some((k) => k !== 'steps') ? [`resuming with a different ${listed(refused.filter((k) => k !== 'steps').map(flagName))} changes the run`] : []),
    ];
    throw new UsageError(`${runDir} was started with ${refused.map((k) => `${flagName(k)} ${shown(was(k))}, not ${shown((given as Record<string, unknown>)[k])}`).join(', and ')}: ${why.join('; ')}; add --allow-change to resume anyway, or use another --out`);
  }
  return o;
}

function checkCombination(o: TrainRunOptions): void {
  if (o.config && o.from) throw new UsageError('give either --config or --from, not both');
  if (!o.config && !o.from) throw new UsageError('--config or --from is required (the run directory holds no run to resume)');
  if (!o.data) throw new UsageError(`--data is required (${trainDataNames.join(', ')}, or your own files)`);
  ownCorpusOf(o.data, o);
  if (o.kiSteps !== undefined && !o.kiTeacher) throw new UsageError('--ki-steps needs --ki-teacher');
  if ((o.layerDropTheta !== undefined || o.layerDropGamma !== undefined) && !o.layerDrop) throw new UsageError('--layer-drop-theta and --layer-drop-gamma need --layer-drop');
  const problem = budgetProblem({ steps: o.steps, warmupSteps: o.warmup }, { steps: '--steps', warmupSteps: '--warmup' });
  if (problem) throw new UsageError(problem);
}

interface ModelDir {
  /** The checkpoint directory itself (DIR, or the latest checkpoint of run directory DIR). */
  dir: string;
  config: ModelConfig;
  tensors: Map<string, Tensor>;
  tokenizer: unknown | null;
  /** The training schedule `ligo grow` left next to a grown checkpoint (grow.json), if any. */
  growSchedule: GrowSchedule | null;
}

function loadModelDir(dir: string): ModelDir {
  const modelDir = resolveCheckpointDir(dir);
  const ckpt = loadCheckpoint(modelDir);
  return { dir: modelDir, config: configFromJSON(ckpt.config), tensors: ckpt.tensors, tokenizer: ckpt.tokenizer, growSchedule: loadGrowSchedule(modelDir) };
}

/** A preset (adapted to image data) or a config.json file. */
function presetOrFile(name: string, data: TrainData): { config: ModelConfig; isPreset: boolean } {
  if (presetNames.includes(name)) {
    const base = preset(name);
    const config = isImageData(data) && (base.model_type === 'vit' || base.model_type === 'deit') ? usage(() => preset(name, { image_size: 28, num_channels: 1, num_labels: 10 })) : base;
    return { config, isPreset: true };
  }
  if (!fs.existsSync(name)) throw new UsageError(notPresetOrFile('--config', name, presetNames));
  return { config: usage(() => configFromJSON(JSON.parse(fs.readFileSync(name, 'utf8')))), isPreset: false };
}

/** Runs a check whose errors are the user's to fix: they become usage errors (exit code 2). */
function usage<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** GPT-2 and Llama presets put bos/eos at the last id; a trained tokenizer has its own end-of-text id. */
function withTokenizerEos(config: ModelConfig, tokenizer: Tokenizer): ModelConfig {
  const eos = tokenizer.special.eos;
  if (!isCausalLm(config) || eos === undefined) return config;
  return { ...config, bos_token_id: eos, eos_token_id: eos };
}

async function runTrain(command: Command): Promise<void> {
  const runDir = command.opts<{ out: string }>().out;
  expectDirectory('--out', runDir);
  const interrupt = listenForInterrupt(stopPlan(runDir, false, []));
  try {
    const r = await runTrainOptions(mergeWithSaved(command, runDir, command.opts().restart ? null : resumeState(runDir)), runDir, { stop: interrupt.signal, plan: interrupt.plan });
    const signal = interrupt.received();
    if (r?.interrupted && signal) process.exitCode = signalExitCode(signal);
  } catch (e) {
    const signal = interrupt.received();
    if (!signal || e !== interrupt.signal.reason) throw e;
    process.stderr.write(`stopped while preparing the data (nothing was cached); run the same command again to start over\n`);
    process.exitCode = signalExitCode(signal);
  } finally {
    interrupt.dispose();
  }
}

/** What Ctrl-C does while preparing and while training `runDir`; a quit removes `remove` (the lock, a run directory this call created). */
function stopPlan(runDir: string, training: boolean, remove: string[]): StopPlan {
  if (!training) return { first: 'stopping the preparation (nothing more is tokenised or cached); press Ctrl-C again to quit at once', second: 'quit; nothing was cached; run the same command again to start over', remove };
  return { first: 'stopping after the current step and saving a checkpoint; press Ctrl-C again to quit at once without saving', second: `quit without saving; resume from the last checkpoint with: ligo train --out ${runDir}`, remove };
}

/**
 * `ligo train` after flag parsing: checks the flags, says what a resume changes (or that it has
 * nothing to do: then it returns null and changes no file), locks RUN_DIR, prepares config,
 * weights, tokenizer, data and grow schedule, trains (until `io.stop` is aborted), prints the
 * summary on `stdout` and progress on `stderr`. Throws on usage errors; a run directory this
 * call created is removed when it fails before training starts.
 */
export async function runTrainOptions(o: TrainRunOptions, runDir: string, io: { stderr?: NodeJS.WriteStream; stdout?: NodeJS.WritableStream; stop?: AbortSignal; plan?: (p: StopPlan) => void } = {}): Promise<TrainResult | null> {
  checkCombination(o);
  const at = o.restart ? null : resumeState(runDir);
  if (at) {
    const changes = changesFromSaved(runDir, o);
    if (at.step >= o.steps) {
      (io.stderr ?? process.stderr).write(`nothing to do: ${runDir} has already reached step ${at.step} of ${o.steps}${changes.length > 0 ? ` (${changes.join(', ')} not applied)` : ''}; raise --steps to train further; no file was changed\n`);
      return null;
    }
    if (changes.length > 0) (io.stderr ?? process.stderr).write(`${runDir}: resuming with ${changes.join(', ')}\n`);
  }
  let started = false;
  const created = !fs.existsSync(runDir);
  return removeIfFailed(runDir, () => started, async () => {
    const lock = acquireRunLock(runDir);
    io.plan?.(stopPlan(runDir, false, created ? [runDir] : [lock.path]));
    const onStart = () => {
      started = true;
      io.plan?.(stopPlan(runDir, true, [lock.path]));
    };
    try {
      return await prepareAndTrain(o, runDir, { stderr: io.stderr ?? process.stderr, stdout: io.stdout ?? process.stdout, stop: io.stop ?? new AbortController().signal, onStart });
    } finally {
      lock.release();
    }
  });
}

/** Flags of one call, not settings of the run: never kept in run.json. */
const NOT_KEPT = new Set(['allowChange', 'restart']);
const settings = (o: TrainRunOptions) => Object.fromEntries(Object.entries(o).filter(([k]) => !NOT_KEPT.has(k)));

/** How `o` differs from the run's run.json: ['--lr 0.003 -> 0.001', ...]. */
function changesFromSaved(runDir: string, o: TrainRunOptions): string[] {
  const saved = readRunFlags(runDir) ?? {};
  return Object.entries(settings(o))
    .filter(([k, v]) => differs(saved[k], resolvedFlag(k, v)))
    .map(([k, v]) => `${flagName(k)} ${shown(saved[k])} -> ${shown(v)}`);
}

interface TrainIo {
  stderr: NodeJS.WriteStream;
  stdout: NodeJS.WritableStream;
  stop: AbortSignal;
  /** Called when training begins (the run directory then holds real output). */
  onStart(): void;
}


async function prepareAndTrain(o: TrainRunOptions, runDir: string, io: TrainIo): Promise<TrainResult> {
  const { stderr } = io;
  if (o.restart) stderr.write(`${restartRun(runDir)}\n`);
  else if (!latestCheckpointDir(runDir)) refuseLostRun(runDir);
  const data: TrainData = ownCorpusOf(o.data!, o) ?? (o.data as TrainDataName);
  const start = o.from ? loadModelDir(o.from) : null;
  const chosen = start ? { config: start.config, isPreset: false } : presetOrFile(o.config!, data);
  let config = chosen.config;
  if (isClassificationData(data)) config = usage(() => classificationConfigFor(config, data));
  usage(() => checkDataFits(config, data, o.seqLen));
  const tokenDrop = o.tokenDrop === undefined ? null : { keepRatio: o.tokenDrop };
  if (tokenDrop) usage(() => checkTokenDrop(config, tokenDrop));
  if (o.kiTeacher) o.kiSteps ??= o.steps; // fixed when the run starts, so a resume with more --steps keeps the KI schedule
  const evalDefaulted = o.evalEvery === undefined;
  const budget = budgetOf(o);
  // Resolved once, so a resume with more --steps keeps the run's cadence.
  o.evalEvery = budget.evalEvery;
  o.saveEvery = budget.saveEvery;
  const resuming = latestCheckpointDir(runDir) !== null;
  const note = (line: string) => stderr.write(`${line}\n`);
  let tokenizer: Tokenizer | null = null;
  if (!isImageData(data)) {
    if (o.tokenizer && start?.tokenizer) throw new UsageError(`--from ${o.from} brings its own tokenizer.json: leave out --tokenizer`);
    const given = o.tokenizer && !fs.existsSync(join(runDir, 'tokenizer.json')) ? tokenizerFile(o.tokenizer) : (start?.tokenizer ?? null);
    tokenizer = typeof data === 'string' ? runTokenizer(config, corpusOf(data), runDir, given, note) : await ownDataTokenizer(config, data, runDir, given, note);
    if (chosen.isPreset) config = withTokenizerEos(config, tokenizer);
    if (chosen.isPreset && o.tokenizer) config = { ...config, vocab_size: tokenizer.vocabSize } as ModelConfig;
    usage(() => checkTokenizerFits(config, tokenizer!));
  }
  const prepared = await prepareRunData(data, tokenizer, { batchSize: budget.batchSize, seqLen: o.seqLen, cacheDir: o.cacheDir, stream: stderr, signal: io.stop });
  const run = assembleRun({ runDir, config, budget, seed: o.seed, data: { data: prepared, tokenizer, cacheRoot: runDir, seqLen: o.seqLen, evalBatches: o.evalBatches, note, signal: io.stop } });
  let growSchedule: GrowSchedule | null = null;
  if (start?.growSchedule) {
    const fitted = scheduleForRun(start.growSchedule, join(start.dir, 'grow.json'), config, o.steps, `--lr ${o.lr}, --warmup ${o.warmup}, --schedule ${o.schedule}`);
    fitted.notes.forEach((line) => stderr.write(`${line}\n`));
    growSchedule = fitted.schedule;
  }
  const ki = o.kiTeacher ? kiSpec(o, config, tokenizer) : null;
  writeFileAtomic(join(runDir, RUN_FILE), `${JSON.stringify(settings(withResolvedPaths(o)), null, 1)}\n`);
  const initialParams = start && !resuming ? startingParams(config, start, o.seed, stderr) : null;
  const options = activeOptions(o, budget, ki, growSchedule, evalDefaulted);
  if (!resuming) stderr.write(`${modelLine(config, start?.dir ?? null)} on ${dataLabel(data)}: ${plural(o.steps, 'step')} of ${o.batchSize * o.accum} x ${o.seqLen} ${isImageData(data) ? 'images' : 'tokens'}, lr ${o.lr}, into ${runDir}; ${options.join('; ')}\n`);
  else stderr.write(`${runDir}: ${options.join('; ')}\n`);
  if (ki?.kind === 'distillation') stderr.write(`--ki-teacher ${o.kiTeacher} (${plural(ki.teacherParameters, 'parameter')}) is larger than the student (${plural(ki.studentParameters, 'parameter')}): this is plain knowledge distillation, not knowledge inheritance (which learns from a smaller model)\n`);
  const progress = consoleProgress({ logEvery: o.logEvery, stream: stderr });
  const spec: TrainSpec = {
    ...run,
    initialParams,
    ...(o.keepCheckpoints !== undefined ? { keepCheckpoints: o.keepCheckpoints } : {}),
    ...(growSchedule ? { growSchedule } : {}),
    ki: ki?.spec ?? null,
    observer: { ...progress, onStart: (info) => (io.onStart(), progress.onStart?.(info)) },
  };
  const r = await trainUntil(spec, io.stop);
  if (r.interrupted) {
    stderr.write(`stopped at step ${r.step} of ${o.steps}${r.checkpointDir ? `; checkpoint ${r.checkpointDir}` : ''}; resume with: ligo train --out ${runDir}\n`);
    return r;
  }
  const val = r.valLoss === null ? '' : `, validation loss ${r.valLoss.toFixed(4)}${r.valAccuracy === null ? '' : `, accuracy ${(100 * r.valAccuracy).toFixed(1)}%`}`;
  io.stdout.write(`done: step ${r.step}, loss ${r.loss.toFixed(4)}${val}; training FLOPs ${r.flopsElectra.toExponential(3)} (ELECTRA convention), ${r.flopsSixN.toExponential(3)} (6N); ${r.wallSeconds.toFixed(1)} s; checkpoint ${r.checkpointDir}\n`);
  return r;
}

/**
 * What the run's budget and options make training do, for its start line: the validation cadence,
 * then every active option that changes training (KI or distillation, layer drop, token drop, a
 * grown model's MSG ramp or MSLT freeze, accumulation, no clipping).
 */
function activeOptions(o: TrainRunOptions, b: TrainingBudget, ki: Teacher | null, grown: GrowSchedule | null, evalDefaulted: boolean): string[] {
  const every = b.evalEvery === 0 ? 'validation at the end' : `validation every ${plural(b.evalEvery, 'step')}`;
  return [
    `${every} on ${plural(o.evalBatches, 'batch', 'batches')}${evalDefaulted ? ' (the default; --eval-every sets it)' : ''}`,
    ...(ki ? [`${ki.kind === 'distillation' ? 'distillation' : 'KI'} from ${o.kiTeacher} (alpha ${o.kiAlpha} falling to 0 over ${plural(ki.spec.steps, 'step')})`] : []),
    ...(b.layerDrop ? [`progressive layer drop (theta-bar ${b.layerDrop.thetaBar}, gamma ${b.layerDrop.gamma})`] : []),
    ...(b.tokenDrop ? [`token drop (keep ratio ${b.tokenDrop.keepRatio})`] : []),
    ...(grown?.maskRamp ? [`MSG mask ramp over ${plural(grown.maskRamp.steps, 'step')}`] : []),
    ...(grown?.freeze ? [`MSLT: ${plural(grown.freeze.keys.length, 'tensor')} frozen until step ${grown.freeze.untilStep}`] : []),
    ...(o.accum > 1 ? [`gradient accumulation over ${o.accum} micro-batches`] : []),
    ...(o.clip === 0 ? ['no gradient clipping'] : []),
  ];
}

/** 'BertForMaskedLM 2L-32H-2A-64F (105,408 parameters), from DIR' for the run's first line. */
function modelLine(config: ModelConfig, from: string | null): string {
  const d = dims(config);
  const parameters = parameterCount(config);
  return `training ${config.architectures[0] ?? config.model_type} ${d.layers}L-${d.hidden}H-${d.heads}A-${d.ffn}F (${plural(parameters, 'parameter')}) ${from ? `from ${from}` : 'from scratch'}`;
}

/** A tokenizer.json given with --tokenizer, checked (a file it cannot read is the user's to fix). */
function tokenizerFile(path: string): unknown {
  return usage(() => loadTokenizer(path)).toJSON();
}

/** HF module names of some keys, for one-line messages: 'cls.predictions.transform.dense, ...'. */
function modules(keys: readonly string[]): string {
  const stripped = keys.map((k) => k.replace(/\.(weight|bias)$/, ''));
  const names = [...new Set(stripped.map((m, i) => (stripped.some((o) => o.startsWith(`${m}.`)) ? keys[i]! : m)))]; // cls.predictions.bias stays whole next to cls.predictions.transform
  return names.length > 6 ? `${names.slice(0, 6).join(', ')} and ${names.length - 6} more` : names.join(', ');
}

/** The starting weights for `config` (a fresh head when fine-tuning an MLM checkpoint, seeded), with what was left out or added said on stderr. */
function startingParams(config: ModelConfig, start: ModelDir, seed: number, stderr: NodeJS.WriteStream): Map<string, Tensor> {
  const model = modelFor(config);
  const loaded = model.paramsFromFlat(config, start.tensors, { seed });
  if (loaded.initializedKeys.length > 0) stderr.write(`${config.architectures[0]}: initialised ${modules(loaded.initializedKeys)} fresh (seed ${seed}); the rest comes from ${start.dir}\n`);
  if (loaded.unexpectedKeys.length > 0) stderr.write(`not used from ${start.dir}: ${modules(loaded.unexpectedKeys)}\n`);
  return new Map(model.flatten(loaded.params));
}

interface Teacher {
  spec: KiSpec;
  kind: TeacherKind;
  teacherParameters: number;
  studentParameters: number;
}

/** The --ki-teacher model, checked against the student (src/train/teacher.ts: a mismatch is a usage error). */
function kiSpec(o: TrainRunOptions, student: ModelConfig, studentTokenizer: Tokenizer | null): Teacher {
  const teacher = loadModelDir(o.kiTeacher!);
  const tokenizerFile = join(teacher.dir, 'tokenizer.json');
  const tokenizer = teacher.tokenizer === null ? null : usage(() => tokenizerFromJSON(teacher.tokenizer, tokenizerFile));
  const kind = usage(() => teacherKind(o.kiTeacher!, { config: teacher.config, tokenizer, tokenizerFile }, { config: student, tokenizer: studentTokenizer }));
  const params = modelFor(teacher.config).paramsFromFlat(teacher.config, teacher.tensors).params;
  return { spec: { teacherConfig: teacher.config, teacherParams: params, alpha: o.kiAlpha, steps: o.kiSteps ?? o.steps }, kind, teacherParameters: parameterCount(teacher.config), studentParameters: parameterCount(student) };
}
