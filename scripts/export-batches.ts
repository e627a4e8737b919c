// Exports the next training batches of a `ligo train` run, for continuing it elsewhere
// (scripts/continue_in_torch.py; docs/handoff.md).
//
//   node --import tsx scripts/export-batches.ts RUN_DIR [--batches N] [--lr X] [--out FILE]
//
// Re-creates the next N updates' batches exactly as `ligo train --out RUN_DIR` would serve them
// after its newest checkpoint: the run's own tokenizer and data task (train/setup.ts's
// runTokenizer and train/assemble.ts's runTask and assembleRun, as `ligo train` builds them, with
// the flags from RUN_DIR/run.json), restored at the checkpoint's data
// position (stream position and masking RNG, train/tasks.ts). An update's micro-batches (--accum)
// are concatenated into one batch. For each batch it writes input_ids, attention_mask and labels
// as HuggingFace models take them (masked LM: -100 where no loss is taken; causal LM: labels =
// input_ids, the model shifts them) and the number of targets that count.
//
// It also writes ligo's reference numbers: the loss on the first batch at the checkpoint's
// weights, computed with the engine in eval mode (no dropout, no gradients); and the losses of N
// updates that ligo's own train() takes when it resumes a copy of the run on these batches with
// dropout off and a constant learning rate (--lr, default the run's last one), with the
// checkpoint's AdamW moments and step counts, so another trainer can check it continues exactly.
// Text tasks (masked LM, causal LM) only.

import fs from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as T from '../src/tensor/index.ts';
import { configFromJSON, isCausalLm, modelFor, type ModelConfig, type TextBatch } from '../src/models/index.ts';
import { adamwDefaults, assembleRun, corpusOf, evaluate, isClassificationData, isImageData, loadLatestTrainCheckpoint, resolveCheckpointDir, runTask, runTokenizer, train, type MicroBatch, type RunData, type TrainDataName } from '../src/train/index.ts';
import type { TrainRunOptions } from '../src/cli/train.ts';
import { loadGrowSchedule } from '../src/grow/record.ts';

const USAGE = 'usage: node --import tsx scripts/export-batches.ts RUN_DIR [--batches N] [--lr X] [--out FILE]';

function fail(message: string): never {
  process.stderr.write(`export-batches: ${message}\n`);
  process.exit(2);
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { batches: { type: 'string', default: '4' }, lr: { type: 'string' }, out: { type: 'string' } } });
if (positionals.length !== 1) fail(USAGE);
const runDir = resolve(positionals[0]!);
const count = Number(values.batches);
if (!Number.isInteger(count) || count < 1) fail(`--batches must be a positive integer, got ${values.batches}`);
const out = values.out ?? join(runDir, 'handoff-batches.json');

const runFile = join(runDir, 'run.json');
if (!fs.existsSync(runFile)) fail(`${runFile} not found: RUN_DIR must be a \`ligo train --out\` directory`);
const run = JSON.parse(fs.readFileSync(runFile, 'utf8')) as TrainRunOptions;
const data = run.data as TrainDataName;
if (isImageData(data) || isClassificationData(data)) fail(`the run trains on ${data}; only text (masked or causal LM) runs are exported`);
const ckpt = loadLatestTrainCheckpoint(runDir) ?? fail(`${runDir} has no checkpoint yet`);
const config = configFromJSON(ckpt.config);
const schedule = run.from ? loadGrowSchedule(resolveCheckpointDir(run.from)) : null;
if (schedule?.freeze || schedule?.maskRamp) fail(`the run trains with a grow schedule (frozen tensors or mask ramps) from ${run.from}; not supported here`);
const lr = values.lr === undefined ? ckpt.state.lr : Number(values.lr);
if (!(lr > 0)) fail(`--lr must be positive, got ${values.lr ?? `${lr} (the run's last learning rate)`}`);

// The run's tokenizer (RUN_DIR/tokenizer.json) and data task, at the checkpoint's data position.
const tokenizer = runTokenizer(config, corpusOf(data), runDir, null);
const runData = (cacheRoot: string): RunData => ({ data, tokenizer, cacheRoot, seqLen: run.seqLen, evalBatches: run.evalBatches });
const task = runTask(config, runData(runDir), { batchSize: run.batchSize, seed: run.seed })(ckpt.state.data);
const updates: MicroBatch[][] = Array.from({ length: count }, () => Array.from({ length: run.accum }, () => task.next()));
task.close();

const rows = (t: T.Tensor | null | undefined, like: T.Tensor, fill = 1): number[][] => {
  const [B, L] = like.shape as [number, number];
  return Array.from({ length: B }, (_, b) => (t ? Array.from(t.i.subarray(b * L, (b + 1) * L)) : new Array<number>(L).fill(fill)));
};
const text = (m: MicroBatch) => m.batch as TextBatch;
const batches = updates.map((micro) => ({
  input_ids: micro.flatMap((m) => rows(text(m).inputIds, text(m).inputIds)),
  attention_mask: micro.flatMap((m) => rows(text(m).attentionMask, text(m).inputIds)),
  labels: micro.flatMap((m) => rows(text(m).labels, text(m).inputIds)),
  targets: micro.reduce((n, m) => n + m.weight, 0),
}));

// ligo's loss on the first batch at the checkpoint's weights: eval mode, no dropout.
const model = modelFor(config);
const params = model.paramsFromFlat(config, ckpt.params).params;
const firstLoss = T.tidy(() => evaluate(config, params, updates[0]!));

// ligo's own continuation: train() resuming a copy of the run (same checkpoint, optimizer state
// and data position) for `count` more updates, dropout off, constant learning rate.
const copy = fs.mkdtempSync(join(os.tmpdir(), 'ligo-handoff-'));
let continued: { step: number; loss: number; lr: number; gradNorm: number }[];
try {
  fs.cpSync(runDir, copy, { recursive: true, filter: (src) => !src.endsWith('.lock') && resolve(src) !== resolve(out) });
  const noDropout = withoutDropout(config);
  const budget = { steps: ckpt.state.step + count, batchSize: run.batchSize, lr, warmupSteps: 0, decay: 'constant' as const, weightDecay: run.weightDecay, clipNorm: run.clip, accumSteps: run.accum, evalEvery: 0, saveEvery: 0 };
  const result = train(assembleRun({ runDir: copy, config: noDropout, budget, data: runData(copy), seed: run.seed }));
  if (result.resumedFrom === null) throw new Error('the copy did not resume from its checkpoint');
  continued = fs
    .readFileSync(join(copy, 'train.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type: string; step: number; loss: number; lr: number; gradNorm: number })
    .filter((r) => r.type === 'train' && r.step > ckpt.state.step)
    .map(({ step, loss, lr: stepLr, gradNorm }) => ({ step, loss, lr: stepLr, gradNorm }));
} finally {
  fs.rmSync(copy, { recursive: true, force: true });
}

const exported = {
  run_dir: runDir,
  checkpoint: ckpt.dir,
  step: ckpt.state.step,
  model_type: config.model_type,
  task: isCausalLm(config) ? 'causal-lm' : 'masked-lm',
  batch_size: run.batchSize * run.accum,
  seq_len: run.seqLen,
  backend: T.getBackend().name,
  optimizer: {
    lr,
    schedule: 'constant',
    weight_decay: run.weightDecay,
    no_decay: 'tensors of rank 1 (biases, LayerNorm weights)',
    clip_norm: run.clip > 0 ? run.clip : null,
    betas: [adamwDefaults.beta1, adamwDefaults.beta2],
    eps: adamwDefaults.eps,
    steps: ckpt.state.optimizerSteps,
  },
  batches,
  ligo: {
    first_batch_loss: firstLoss,
    first_batch_loss_how: 'evaluate(): engine eval mode, no dropout, mean cross-entropy over the targets',
    continued,
    continued_how: `train() resuming a copy of the run for ${count} updates on these batches: dropout off, constant lr ${lr}, the checkpoint's AdamW moments and steps`,
  },
};
fs.writeFileSync(out, `${JSON.stringify(exported)}\n`);
const fmt = (x: number) => x.toFixed(6);
process.stdout.write(
  [
    `run ${runDir}: ${config.model_type} ${exported.task}, checkpoint ${ckpt.dir} (step ${ckpt.state.step})`,
    `wrote ${count} batches of ${exported.batch_size} x ${run.seqLen} tokens (the run's next updates) to ${out}`,
    `ligo loss on batch 0 at the checkpoint (eval, no dropout): ${fmt(firstLoss)} (${batches[0]!.targets} targets)`,
    ...continued.map((r, i) => `ligo continuing, dropout off: step ${r.step} (batch ${i}) loss ${fmt(r.loss)} lr ${r.lr.toExponential(2)} grad-norm ${r.gradNorm.toFixed(4)}`),
  ].join('\n') + '\n',
);

/** The config with every dropout probability 0 (HF's names: *_dropout_prob, *_pdrop, classifier_dropout). */
function withoutDropout(c: ModelConfig): ModelConfig {
  const copy: Record<string, unknown> = { ...c };
  for (const key of Object.keys(copy)) if (/dropout|pdrop/.test(key) && typeof copy[key] === 'number') copy[key] = 0;
  return configFromJSON(copy);
}
