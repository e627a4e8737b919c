// `ligo train`: parses and checks the flags, resolves the config, tokenizer and data, and calls
// train() (src/train). Usage errors print one line and exit with code 2; a diverged or locked
// run exits with code 1.
//
// The resolved flags are kept in RUN_DIR/run.json. Running `ligo train --out RUN_DIR` again
// resumes that run from its last checkpoint with the saved flags; flags given again override the
// saved ones (e.g. a lower --lr after divergence), except the model and data, which a run
// cannot change. Presets are adapted to the data: image presets take MNIST's 28x28x1 images and
// 10 labels; GPT-2 presets take the trained tokenizer's end-of-text id as bos/eos.
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
// runTrainOptions is the whole command after flag parsing, for tests and scripts.

import fs from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { UsageError, guarded, intAtLeast, numberIn } from './common.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import type { ModelConfig } from '../models/index.ts';
import type { GrowSchedule } from '../grow/types.ts';
import type { Tensor } from '../tensor/index.ts';
import type { Tokenizer } from '../tokenize/index.ts';
import type { KiSpec, TrainDataName, TrainResult, TrainSpec } from '../train/index.ts';
import { LAYER_DROP_DEFAULTS } from '../train/layer-drop.ts';

const RUN_FILE = 'run.json';

/** The flags of `ligo train`, as run.json keeps them. */
export interface TrainRunOptions {
  config?: string;
  from?: string;
  data?: TrainDataName;
  steps: number;
  batchSize: number;
  seqLen: number;
  lr: number;
  warmup: number;
  schedule: 'linear' | 'cosine' | 'constant';
  weightDecay: number;
  clip: number;
  accum: number;
  evalEvery: number;
  evalBatches: number;
  saveEvery: number;
  logEvery: number;
  seed: number;
  kiTeacher?: string;
  kiAlpha: number;
  kiSteps?: number;
  layerDrop?: boolean;
  layerDropTheta?: number;
  layerDropGamma?: number;
  /** Token dropping's keep ratio. */
  tokenDrop?: number;
}

/** The defaults of the optional flags. */
export const TRAIN_DEFAULTS = {
  steps: 1000,
  batchSize: 32,
  seqLen: 128,
  lr: 1e-4,
  warmup: 0,
  schedule: 'linear',
  weightDecay: 0.01,
  clip: 1,
  accum: 1,
  evalEvery: 100,
  evalBatches: 10,
  saveEvery: 100,
  logEvery: 10,
  seed: 0,
  kiAlpha: 0.5,
} as const satisfies Partial<TrainRunOptions>;
const D = TRAIN_DEFAULTS;

const EXAMPLE = `
Examples:
  ligo train --config bert-4L-256H --data sotu --out runs/bert-mini --steps 2000 --batch-size 32 --seq-len 128 --lr 2e-4 --warmup 100
  ligo train --from runs/bert-mini --data sotu --out runs/bert-more --steps 500
  ligo train --config vit-tiny --data mnist --out runs/vit --steps 1000 --batch-size 64
  ligo train --from runs/bert-grown --data sotu --out runs/bert-grown-train      # a grown model, with its grow.json schedule
  ligo train --from runs/bert-mini --data brown-genre --out runs/bert-genre --steps 300 --lr 5e-5 --batch-size 16
  ligo train --config bert-6L-512H --data sotu --out runs/bert-fast --steps 500 --layer-drop --layer-drop-gamma 0.01 --token-drop 0.5
  ligo train --out runs/bert-mini --lr 1e-4      # resume runs/bert-mini from its last checkpoint, lower learning rate`;

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a model (masked LM, causal LM, image classification, or fine-tune on Brown genres); resumes automatically when RUN_DIR holds a checkpoint')
    .option('--config <preset|file>', 'model preset name (see presets) or a HuggingFace config.json')
    .option('--from <dir>', 'start from a checkpoint directory (model.safetensors + config.json [+ tokenizer.json] [+ grow.json]) or a run directory')
    .addOption(new Option('--data <name>', 'training data (brown-genre: fine-tune BERT/RoBERTa on Brown genre classification)').choices(['sotu', 'brown', 'moby-dick', 'all', 'mnist', 'fashion-mnist', 'brown-genre']))
    .requiredOption('--out <dir>', 'run directory (checkpoints, train.jsonl log, tokenizer)')
    .option('--steps <n>', 'optimizer updates', intAtLeast(1), D.steps)
    .option('--batch-size <n>', 'examples per micro-batch', intAtLeast(1), D.batchSize)
    .option('--seq-len <n>', 'tokens per text example (brown-genre: the longest piece of a document)', intAtLeast(2), D.seqLen)
    .option('--lr <x>', 'peak learning rate', numberIn(0, 10, true), D.lr)
    .option('--warmup <n>', 'linear warmup updates', intAtLeast(0), D.warmup)
    .addOption(new Option('--schedule <kind>', 'decay after warmup').choices(['linear', 'cosine', 'constant']).default(D.schedule))
    .option('--weight-decay <x>', 'AdamW decoupled weight decay (not on biases and LayerNorm weights)', numberIn(0, 1, false), D.weightDecay)
    .option('--clip <x>', 'global gradient-norm clip; 0 turns clipping off', numberIn(0, 1e6, false), D.clip)
    .option('--accum <n>', 'micro-batches per update (gradient accumulation)', intAtLeast(1), D.accum)
    .option('--eval-every <n>', 'validate every N updates (0: only at the end)', intAtLeast(0), D.evalEvery)
    .option('--eval-batches <n>', 'validation micro-batches', intAtLeast(1), D.evalBatches)
    .option('--save-every <n>', 'checkpoint every N updates (0: only at the end)', intAtLeast(0), D.saveEvery)
    .option('--log-every <n>', 'progress line every N updates when stderr is not a terminal', intAtLeast(1), D.logEvery)
    .option('--seed <n>', 'seed for init (also of a fresh classification head), data order, masking and dropout', intAtLeast(0), D.seed)
    .option('--ki-teacher <dir>', 'knowledge inheritance: distil from this (smaller) checkpoint')
    .option('--ki-alpha <x>', 'initial weight of the distillation loss', numberIn(0, 1, false), D.kiAlpha)
    .option('--ki-steps <n>', 'updates over which the KI weight decays to 0 (default: --steps)', intAtLeast(1))
    .option('--layer-drop', 'progressive layer dropping: skip layers per micro-batch, deeper ones and later in training more often')
    .option('--layer-drop-theta <x>', `keep probability the deepest layer falls to (theta-bar; default ${LAYER_DROP_DEFAULTS.thetaBar})`, numberIn(0, 1, true))
    .option('--layer-drop-gamma <x>', `how fast per update the keep probabilities fall (default ${LAYER_DROP_DEFAULTS.gamma}; larger for short runs)`, numberIn(0, 1, true))
    .option('--token-drop <keep-ratio>', "token dropping (BERT/RoBERTa masked LM, 3 layers or more): the share of each sequence's tokens the middle layers process (the paper: 0.5)", numberIn(0, 1, true))
    .addHelpText('after', EXAMPLE);
  guarded(cmd, (_opts: unknown, command: Command) => runTrain(command));
}

/** Flags given on this command line override run.json; the model and data never change. */
function mergeWithSaved(command: Command, runDir: string): TrainRunOptions {
  const given = command.opts<TrainRunOptions & { out: string }>();
  const path = join(runDir, RUN_FILE);
  if (!fs.existsSync(path)) return given;
  const saved = JSON.parse(fs.readFileSync(path, 'utf8')) as TrainRunOptions;
  const merged: Record<string, unknown> = { ...saved };
  for (const [k, v] of Object.entries(given)) {
    if (command.getOptionValueSource(k) !== 'cli') continue;
    if ((k === 'config' || k === 'from' || k === 'data') && saved[k] !== v) throw new UsageError(`${runDir} holds a run with --${k} ${saved[k] ?? '(none)'}; a run cannot change its model or data: use another --out`);
    merged[k] = v;
  }
  return merged as unknown as TrainRunOptions;
}

function checkCombination(o: TrainRunOptions): void {
  if (o.config && o.from) throw new UsageError('give either --config or --from, not both');
  if (!o.config && !o.from) throw new UsageError('--config or --from is required (the run directory holds no run to resume)');
  if (!o.data) throw new UsageError('--data is required (sotu, brown, moby-dick, all, mnist, fashion-mnist or brown-genre)');
  if (o.kiSteps !== undefined && !o.kiTeacher) throw new UsageError('--ki-steps needs --ki-teacher');
  if ((o.layerDropTheta !== undefined || o.layerDropGamma !== undefined) && !o.layerDrop) throw new UsageError('--layer-drop-theta and --layer-drop-gamma need --layer-drop');
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

async function loadModelDir(dir: string): Promise<ModelDir> {
  const { loadCheckpoint } = await import('../io/checkpoint.ts');
  const { configFromJSON } = await import('../models/index.ts');
  const { resolveCheckpointDir } = await import('../train/index.ts');
  const { loadGrowSchedule } = await import('../grow/record.ts');
  const modelDir = resolveCheckpointDir(dir);
  const ckpt = loadCheckpoint(modelDir);
  return { dir: modelDir, config: configFromJSON(ckpt.config), tensors: ckpt.tensors, tokenizer: ckpt.tokenizer, growSchedule: loadGrowSchedule(modelDir) };
}

/** A preset (adapted to image data) or a config.json file. */
async function presetOrFile(name: string, data: TrainDataName): Promise<{ config: ModelConfig; isPreset: boolean }> {
  const { configFromJSON, preset, presetNames } = await import('../models/index.ts');
  if (presetNames.includes(name)) {
    const base = preset(name);
    const image = data === 'mnist' || data === 'fashion-mnist';
    const config = image && (base.model_type === 'vit' || base.model_type === 'deit') ? usage(() => preset(name, { image_size: 28, num_channels: 1, num_labels: 10 })) : base;
    return { config, isPreset: true };
  }
  if (!fs.existsSync(name)) throw new UsageError(`--config ${name} is neither a preset (${presetNames.join(', ')}) nor a file`);
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

/** GPT-2 presets put bos/eos at the last id; a trained tokenizer has its own end-of-text id. */
function withTokenizerEos(config: ModelConfig, tokenizer: Tokenizer): ModelConfig {
  const eos = tokenizer.special.eos;
  if (config.model_type !== 'gpt2' || eos === undefined) return config;
  return { ...config, bos_token_id: eos, eos_token_id: eos };
}

async function runTrain(command: Command): Promise<void> {
  const runDir = command.opts<{ out: string }>().out;
  await runTrainOptions(mergeWithSaved(command, runDir), runDir);
}

/**
 * `ligo train` after flag parsing: checks the flags, locks RUN_DIR, prepares config, weights,
 * tokenizer, data and grow schedule, trains, and reports on `stderr`. Throws on usage errors.
 */
export async function runTrainOptions(o: TrainRunOptions, runDir: string, io: { stderr?: NodeJS.WriteStream } = {}): Promise<TrainResult> {
  checkCombination(o);
  const lib = await import('../train/index.ts');
  const lock = lib.acquireRunLock(runDir);
  try {
    return await prepareAndTrain(o, runDir, lib, io.stderr ?? process.stderr);
  } finally {
    lock.release();
  }
}

async function prepareAndTrain(o: TrainRunOptions, runDir: string, lib: typeof import('../train/index.ts'), stderr: NodeJS.WriteStream): Promise<TrainResult> {
  const data = o.data!;
  const start = o.from ? await loadModelDir(o.from) : null;
  const chosen = start ? { config: start.config, isPreset: false } : await presetOrFile(o.config!, data);
  let config = chosen.config;
  if (lib.isClassificationData(data)) config = usage(() => lib.classificationConfigFor(config, data));
  usage(() => lib.checkDataFits(config, data, o.seqLen));
  const tokenDrop = o.tokenDrop === undefined ? null : { keepRatio: o.tokenDrop };
  if (tokenDrop) usage(() => lib.checkTokenDrop(config, tokenDrop));
  if (o.kiTeacher) o.kiSteps ??= o.steps; // fixed when the run starts, so a resume with more --steps keeps the KI schedule
  writeFileAtomic(join(runDir, RUN_FILE), `${JSON.stringify(o, null, 1)}\n`);
  const resuming = lib.latestCheckpointDir(runDir) !== null;
  const shape = { batchSize: o.batchSize, seqLen: o.seqLen, seed: o.seed, evalBatches: o.evalBatches };
  let tokenizer: Tokenizer | null = null;
  let task;
  if (lib.isImageData(data)) {
    task = lib.imageDataTask(data, shape);
  } else {
    tokenizer = lib.runTokenizer(config, lib.corpusOf(data), runDir, start?.tokenizer ?? null);
    if (chosen.isPreset) config = withTokenizerEos(config, tokenizer);
    usage(() => lib.checkTokenizerFits(config, tokenizer!));
    task = lib.isClassificationData(data) ? lib.brownGenreTask(tokenizer, shape) : lib.corpusTask(config, data, tokenizer, runDir, shape);
  }
  const growSchedule = start?.growSchedule ? await scheduleForRun(start.growSchedule, start.dir, config, o, stderr) : null;
  const spec: TrainSpec = {
    runDir,
    config,
    initialParams: start && !resuming ? await startingParams(config, start, o.seed, stderr) : null,
    ...(tokenizer ? { tokenizer: tokenizer.toJSON() } : {}),
    task,
    steps: o.steps,
    lr: o.lr,
    warmupSteps: o.warmup,
    decay: o.schedule,
    weightDecay: o.weightDecay,
    clipNorm: o.clip > 0 ? o.clip : null,
    accumSteps: o.accum,
    evalEvery: o.evalEvery,
    saveEvery: o.saveEvery,
    seed: o.seed,
    ...(growSchedule ? { growSchedule } : {}),
    ki: o.kiTeacher ? await kiSpec(o, config) : null,
    layerDrop: o.layerDrop ? { thetaBar: o.layerDropTheta ?? lib.LAYER_DROP_DEFAULTS.thetaBar, gamma: o.layerDropGamma ?? lib.LAYER_DROP_DEFAULTS.gamma } : null,
    tokenDrop,
    observer: lib.consoleProgress({ logEvery: o.logEvery, stream: stderr }),
  };
  const r = lib.train(spec);
  if (r.resumedFrom && Number.isNaN(r.loss)) {
    stderr.write(`nothing to do: ${runDir} has already reached step ${r.step} of ${o.steps}; raise --steps to train further\n`);
    return r;
  }
  const val = r.valLoss === null ? '' : `, validation loss ${r.valLoss.toFixed(4)}${r.valAccuracy === null ? '' : `, accuracy ${(100 * r.valAccuracy).toFixed(1)}%`}`;
  stderr.write(`done: step ${r.step}, loss ${r.loss.toFixed(4)}${val}; training FLOPs ${r.flopsElectra.toExponential(3)} (ELECTRA convention), ${r.flopsSixN.toExponential(3)} (6N); ${r.wallSeconds.toFixed(1)} s; checkpoint ${r.checkpointDir}\n`);
  return r;
}

/** HF module names of some keys, for one-line messages: 'cls.predictions.transform.dense, ...'. */
function modules(keys: readonly string[]): string {
  const stripped = keys.map((k) => k.replace(/\.(weight|bias)$/, ''));
  const names = [...new Set(stripped.map((m, i) => (stripped.some((o) => o.startsWith(`${m}.`)) ? keys[i]! : m)))]; // cls.predictions.bias stays whole next to cls.predictions.transform
  return names.length > 6 ? `${names.slice(0, 6).join(', ')} and ${names.length - 6} more` : names.join(', ');
}

/** The starting weights for `config` (a fresh head when fine-tuning an MLM checkpoint, seeded), with what was left out or added said on stderr. */
async function startingParams(config: ModelConfig, start: ModelDir, seed: number, stderr: NodeJS.WriteStream): Promise<Map<string, Tensor>> {
  const { modelFor } = await import('../models/index.ts');
  const model = modelFor(config);
  const loaded = model.paramsFromFlat(config, start.tensors, { seed });
  if (loaded.initializedKeys.length > 0) stderr.write(`${config.architectures[0]}: initialised ${modules(loaded.initializedKeys)} fresh (seed ${seed}); the rest comes from ${start.dir}\n`);
  if (loaded.unexpectedKeys.length > 0) stderr.write(`not used from ${start.dir}: ${modules(loaded.unexpectedKeys)}\n`);
  return new Map(model.flatten(loaded.params));
}

/**
 * The grown model's schedule for this run: keys the model does not have (e.g. an MLM head after
 * switching to classification) are left out; what it does is said on stderr, LEMON's advice too.
 */
async function scheduleForRun(schedule: GrowSchedule, dir: string, config: ModelConfig, o: TrainRunOptions, stderr: NodeJS.WriteStream): Promise<GrowSchedule | null> {
  const { modelFor, specEntries } = await import('../models/index.ts');
  const { GROW_FILE } = await import('../grow/record.ts');
  const keys = new Set(specEntries(modelFor(config).paramSpec(config)).map(([k]) => k));
  const out: GrowSchedule = {};
  const from = join(dir, GROW_FILE);
  let dropped = 0;
  if (schedule.freeze) {
    const frozen = schedule.freeze.keys.filter((k) => keys.has(k));
    dropped += schedule.freeze.keys.length - frozen.length;
    if (frozen.length > 0) {
      const { untilStep } = schedule.freeze;
      out.freeze = { keys: frozen, untilStep };
      const whole = untilStep >= o.steps ? ` (all of this run's ${o.steps} steps: raise --steps above ${untilStep} to train them)` : '';
      stderr.write(`grow schedule (${from}): ${frozen.length} tensors stay frozen until step ${untilStep}${whole}\n`);
    }
  }
  if (schedule.maskRamp) {
    const masks = new Map([...schedule.maskRamp.masks].filter(([k]) => keys.has(k)));
    dropped += schedule.maskRamp.masks.size - masks.size;
    if (masks.size > 0) {
      out.maskRamp = { masks, steps: schedule.maskRamp.steps };
      stderr.write(`grow schedule (${from}): new structure in ${masks.size} tensors is ramped in over ${schedule.maskRamp.steps} steps\n`);
    }
  }
  if (dropped > 0) stderr.write(`grow schedule: ${dropped} of its keys are not in the ${config.architectures[0] ?? config.model_type} model and are left out\n`);
  if (schedule.lrHint) stderr.write(`advice (${from}): ${schedule.lrHint}; this run uses --lr ${o.lr}, --warmup ${o.warmup}, --schedule ${o.schedule}\n`);
  return out.freeze || out.maskRamp ? out : null;
}

async function kiSpec(o: TrainRunOptions, student: ModelConfig): Promise<KiSpec> {
  const { modelFor, outputClasses: classes } = await import('../models/index.ts');
  const teacher = await loadModelDir(o.kiTeacher!);
  if (classes(teacher.config) !== classes(student)) throw new UsageError(`--ki-teacher ${o.kiTeacher} has ${classes(teacher.config)} output classes but the model has ${classes(student)}: teacher and student must share the vocabulary (or label set)`);
  const params = modelFor(teacher.config).paramsFromFlat(teacher.config, teacher.tensors).params;
  return { teacherConfig: teacher.config, teacherParams: params, alpha: o.kiAlpha, steps: o.kiSteps ?? o.steps };
}
