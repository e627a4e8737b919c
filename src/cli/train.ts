// `ligo train`: parses and checks the flags, resolves the config, tokenizer and data, and calls
// train() (src/train). Usage errors print one line and exit with code 2; a diverged or locked
// run exits with code 1.
//
// The resolved flags are kept in RUN_DIR/run.json. Running `ligo train --out RUN_DIR` again
// resumes that run from its last checkpoint with the saved flags; flags given again override the
// saved ones (e.g. a lower --lr after divergence), except the model and data, which a run
// cannot change. Presets are adapted to the data: image presets take MNIST's 28x28x1 images and
// 10 labels; GPT-2 presets take the trained tokenizer's end-of-text id as bos/eos.

import fs from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { writeFileAtomic } from '../io/atomic.ts';
import type { ModelConfig } from '../models/index.ts';
import type { Tensor } from '../tensor/index.ts';
import type { Tokenizer } from '../tokenize/index.ts';
import type { DataName, KiSpec, TrainSpec } from '../train/index.ts';

const RUN_FILE = 'run.json';

interface RunOptions {
  config?: string;
  from?: string;
  data?: DataName;
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
}

class UsageError extends Error {}

const intAtLeast = (min: number) => (v: string) => {
  const n = Number(v);
  if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer >= ${min}`);
  return n;
};
const numberIn = (lo: number, hi: number, loOpen: boolean) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n > hi || n < lo || (loOpen && n === lo)) throw new InvalidArgumentError(`must be a number in ${loOpen ? '(' : '['}${lo}, ${hi}]`);
  return n;
};

const EXAMPLE = `
Examples:
  ligo train --config bert-4L-256H --data sotu --out runs/bert-mini --steps 2000 --batch-size 32 --seq-len 128 --lr 2e-4 --warmup 100
  ligo train --from runs/bert-mini --data sotu --out runs/bert-more --steps 500
  ligo train --config vit-tiny --data mnist --out runs/vit --steps 1000 --batch-size 64
  ligo train --out runs/bert-mini --lr 1e-4      # resume runs/bert-mini from its last checkpoint, lower learning rate`;

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a model (masked LM, causal LM or image classification); resumes automatically when RUN_DIR holds a checkpoint')
    .option('--config <preset|file>', 'model preset name (see presets) or a HuggingFace config.json')
    .option('--from <dir>', 'start from a checkpoint directory (model.safetensors + config.json [+ tokenizer.json]) or a run directory')
    .addOption(new Option('--data <name>', 'training data').choices(['sotu', 'brown', 'moby-dick', 'all', 'mnist', 'fashion-mnist']))
    .requiredOption('--out <dir>', 'run directory (checkpoints, train.jsonl log, tokenizer)')
    .option('--steps <n>', 'optimizer updates', intAtLeast(1), 1000)
    .option('--batch-size <n>', 'examples per micro-batch', intAtLeast(1), 32)
    .option('--seq-len <n>', 'tokens per text example', intAtLeast(2), 128)
    .option('--lr <x>', 'peak learning rate', numberIn(0, 10, true), 1e-4)
    .option('--warmup <n>', 'linear warmup updates', intAtLeast(0), 0)
    .addOption(new Option('--schedule <kind>', 'decay after warmup').choices(['linear', 'cosine', 'constant']).default('linear'))
    .option('--weight-decay <x>', 'AdamW decoupled weight decay (not on biases and LayerNorm weights)', numberIn(0, 1, false), 0.01)
    .option('--clip <x>', 'global gradient-norm clip; 0 turns clipping off', numberIn(0, 1e6, false), 1)
    .option('--accum <n>', 'micro-batches per update (gradient accumulation)', intAtLeast(1), 1)
    .option('--eval-every <n>', 'validate every N updates (0: only at the end)', intAtLeast(0), 100)
    .option('--eval-batches <n>', 'validation micro-batches', intAtLeast(1), 10)
    .option('--save-every <n>', 'checkpoint every N updates (0: only at the end)', intAtLeast(0), 100)
    .option('--log-every <n>', 'progress line every N updates when stderr is not a terminal', intAtLeast(1), 10)
    .option('--seed <n>', 'seed for init, data order, masking and dropout', intAtLeast(0), 0)
    .option('--ki-teacher <dir>', 'knowledge inheritance: distil from this (smaller) checkpoint')
    .option('--ki-alpha <x>', 'initial weight of the distillation loss', numberIn(0, 1, false), 0.5)
    .option('--ki-steps <n>', 'updates over which the KI weight decays to 0 (default: --steps)', intAtLeast(1))
    .showHelpAfterError(false)
    .addHelpText('after', EXAMPLE)
    .exitOverride((err) => {
      if (err.exitCode === 0) process.exit(0);
      process.exit(2);
    })
    .action(async (_opts, command: Command) => {
      try {
        await runTrain(command);
      } catch (e) {
        const usage = e instanceof UsageError;
        process.stderr.write(`ligo train: ${usage ? 'error: ' : ''}${(e as Error).message}\n`);
        process.exit(usage ? 2 : 1);
      }
    });
  cmd.configureOutput({ outputError: (str, write) => write(str.split('\n')[0]!.replace(/^error:/, 'ligo train: error:') + '\n') });
}

/** Flags given on this command line override run.json; the model and data never change. */
function mergeWithSaved(command: Command, runDir: string): RunOptions {
  const given = command.opts<RunOptions & { out: string }>();
  const path = join(runDir, RUN_FILE);
  if (!fs.existsSync(path)) return given;
  const saved = JSON.parse(fs.readFileSync(path, 'utf8')) as RunOptions;
  const merged: Record<string, unknown> = { ...saved };
  for (const [k, v] of Object.entries(given)) {
    if (command.getOptionValueSource(k) !== 'cli') continue;
    if ((k === 'config' || k === 'from' || k === 'data') && saved[k] !== v) throw new UsageError(`${runDir} holds a run with --${k} ${saved[k] ?? '(none)'}; a run cannot change its model or data: use another --out`);
    merged[k] = v;
  }
  return merged as unknown as RunOptions;
}

function checkCombination(o: RunOptions): void {
  if (o.config && o.from) throw new UsageError('give either --config or --from, not both');
  if (!o.config && !o.from) throw new UsageError('--config or --from is required (the run directory holds no run to resume)');
  if (!o.data) throw new UsageError('--data is required (sotu, brown, moby-dick, all, mnist or fashion-mnist)');
  if (o.kiSteps !== undefined && !o.kiTeacher) throw new UsageError('--ki-steps needs --ki-teacher');
}

async function loadModelDir(dir: string): Promise<{ config: ModelConfig; tensors: Map<string, Tensor>; tokenizer: unknown | null }> {
  const { loadCheckpoint } = await import('../io/checkpoint.ts');
  const { configFromJSON } = await import('../models/index.ts');
  const { latestCheckpointDir } = await import('../train/index.ts');
  const modelDir = fs.existsSync(join(dir, 'config.json')) ? dir : latestCheckpointDir(dir);
  if (!modelDir) throw new UsageError(`${dir} is neither a checkpoint (no config.json) nor a run directory with checkpoints`);
  const ckpt = loadCheckpoint(modelDir);
  return { config: configFromJSON(ckpt.config), tensors: ckpt.tensors, tokenizer: ckpt.tokenizer };
}

/** A preset (adapted to image data) or a config.json file. */
async function presetOrFile(name: string, data: DataName): Promise<{ config: ModelConfig; isPreset: boolean }> {
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
  const o = mergeWithSaved(command, runDir);
  checkCombination(o);
  const lib = await import('../train/index.ts');
  const lock = lib.acquireRunLock(runDir);
  try {
    await prepareAndTrain(o, runDir, lib);
  } finally {
    lock.release();
  }
}

async function prepareAndTrain(o: RunOptions, runDir: string, lib: typeof import('../train/index.ts')): Promise<void> {
  const data = o.data!;
  const start = o.from ? await loadModelDir(o.from) : null;
  const chosen = start ? { config: start.config, isPreset: false } : await presetOrFile(o.config!, data);
  let config = chosen.config;
  usage(() => lib.checkDataFits(config, data, o.seqLen));
  if (o.kiTeacher) o.kiSteps ??= o.steps; // fixed when the run starts, so a resume with more --steps keeps the KI schedule
  writeFileAtomic(join(runDir, RUN_FILE), `${JSON.stringify(o, null, 1)}\n`);
  const shape = { batchSize: o.batchSize, seqLen: o.seqLen, seed: o.seed, evalBatches: o.evalBatches };
  let tokenizer: Tokenizer | null = null;
  let task;
  if (lib.isImageData(data)) {
    task = lib.imageDataTask(data, shape);
  } else {
    tokenizer = lib.runTokenizer(config, data, runDir, start?.tokenizer ?? null);
    if (chosen.isPreset) config = withTokenizerEos(config, tokenizer);
    usage(() => lib.checkTokenizerFits(config, tokenizer!));
    task = lib.corpusTask(config, data, tokenizer, runDir, shape);
  }
  const spec: TrainSpec = {
    runDir,
    config,
    initialParams: start?.tensors ?? null,
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
    ki: o.kiTeacher ? await kiSpec(o, config) : null,
    observer: lib.consoleProgress({ logEvery: o.logEvery }),
  };
  const r = lib.train(spec);
  if (r.resumedFrom && Number.isNaN(r.loss)) {
    process.stderr.write(`nothing to do: ${runDir} has already reached step ${r.step} of ${o.steps}; raise --steps to train further\n`);
    return;
  }
  const val = r.valLoss === null ? '' : `, validation loss ${r.valLoss.toFixed(4)}`;
  process.stderr.write(`done: step ${r.step}, loss ${r.loss.toFixed(4)}${val}; training FLOPs ${r.flopsElectra.toExponential(3)} (ELECTRA convention), ${r.flopsSixN.toExponential(3)} (6N); ${r.wallSeconds.toFixed(1)} s; checkpoint ${r.checkpointDir}\n`);
}

async function kiSpec(o: RunOptions, student: ModelConfig): Promise<KiSpec> {
  const { modelFor } = await import('../models/index.ts');
  const teacher = await loadModelDir(o.kiTeacher!);
  const classes = (c: ModelConfig) => ('vocab_size' in c ? c.vocab_size : c.num_labels);
  if (classes(teacher.config) !== classes(student)) throw new UsageError(`--ki-teacher ${o.kiTeacher} has ${classes(teacher.config)} output classes but the model has ${classes(student)}: teacher and student must share the vocabulary (or label set)`);
  const params = modelFor(teacher.config).paramsFromFlat(teacher.config, teacher.tensors).params;
  return { teacherConfig: teacher.config, teacherParams: params, alpha: o.kiAlpha, steps: o.kiSteps ?? o.steps };
}
