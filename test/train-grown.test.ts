// `ligo train --from GROWN_DIR` through the command's own code path (runTrainOptions, what the
// CLI runs after parsing flags) on a tiny BERT grown with the library and written as `ligo grow`
// writes it (checkpoint + grow.json): MSLT's freeze keeps the frozen keys bit-identical until
// its step, across a resume, then they train; the same grown model fine-tunes on Brown genres
// (fresh classifier, frozen encoder keys kept, accuracy logged); LEMON's lr advice is printed;
// MSG's masks reach the run.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TRAIN_DEFAULTS, runTrainOptions, type TrainRunOptions } from '../src/cli/train.ts';
import { getMethod, runGrowth, saveGrown, type GrowResult } from '../src/grow/index.ts';
import { loadCheckpoint } from '../src/io/checkpoint.ts';
import { modelFor, preset, withDims, type BertConfig, type ModelConfig } from '../src/models/index.ts';
import { loadCorpus, splitDocuments } from '../src/data/index.ts';
import { trainWordPiece } from '../src/tokenize/index.ts';
import { LOG_FILE, latestCheckpointDir, readRunLog, type EvalRecord } from '../src/train/index.ts';
import type { Tensor } from '../src/tensor/index.ts';

const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-train-grown-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const small = withDims(preset<BertConfig>('bert-tiny', { vocab_size: 512, max_position_embeddings: 64, hidden_dropout_prob: 0 }), { layers: 2, hidden: 32, heads: 2, ffn: 64 });
const tokenizer = trainWordPiece(
  splitDocuments(loadCorpus('moby-dick'))
    .train.slice(0, 30)
    .map((d) => d.text),
  { vocabSize: 512 },
);
const smallParams = new Map(modelFor(small).flatten(modelFor(small).initParams(small, 1)));

/** Grows `small` with the library and writes what `ligo grow` writes: the checkpoint, tokenizer and grow.json. */
function grownDir(name: string, method: string, large: ModelConfig, options: Record<string, unknown>): { dir: string; result: GrowResult } {
  const dir = join(tmp, name);
  const grown = runGrowth(getMethod(method), smallParams, small, large, { seed: 1, options });
  saveGrown(dir, getMethod(method), large, grown, { from: 'small', fromCheckpoint: 'small', fromStep: null, seed: 1, optionsGiven: options, tokenizerJson: tokenizer.toJSON(), data: null, batchSize: null, seqLen: null });
  return { dir, result: grown.result };
}

/** The flags of `ligo train --from DIR --data DATA --out RUN_DIR ...` (the others at their defaults). */
const flags = (from: string, over: Partial<TrainRunOptions>): TrainRunOptions => ({ ...TRAIN_DEFAULTS, from, data: 'moby-dick', steps: 2, batchSize: 4, seqLen: 32, lr: 1e-2, evalEvery: 0, evalBatches: 1, saveEvery: 0, ...over });

/** Runs the command; returns what it printed on stderr. */
async function ligoTrain(o: TrainRunOptions, runDir: string): Promise<string> {
  const lines: string[] = [];
  const stderr = { isTTY: false, write: (s: string) => lines.push(s) > 0 } as unknown as NodeJS.WriteStream;
  await runTrainOptions(o, runDir, { stderr });
  return lines.join('');
}

const weights = (runDir: string): Map<string, Tensor> => loadCheckpoint(latestCheckpointDir(runDir)!).tensors;
const FREEZE = 2;
const mslt = grownDir('mslt', 'mslt', withDims(small, { layers: 4 }), { freezeSteps: FREEZE });
const frozen = mslt.result.schedule!.freeze!.keys;
const grown = loadCheckpoint(mslt.dir).tensors;

test('MSLT: frozen keys stay bit-identical until the unfreeze step (across a resume), then train', async () => {
  assert.ok(frozen.includes('bert.embeddings.word_embeddings.weight') && frozen.includes('bert.encoder.layer.1.output.dense.weight') && !frozen.some((k) => k.includes('layer.2.')));
  const runDir = join(tmp, 'run-mslt');
  const said = await ligoTrain(flags(mslt.dir, { steps: FREEZE }), runDir);
  assert.match(said, new RegExp(`${frozen.length} tensors stay frozen until step ${FREEZE} \\(all of this run's ${FREEZE} steps`));
  const atFreeze = weights(runDir);
  for (const k of frozen) assert.deepEqual(atFreeze.get(k)!.f, grown.get(k)!.f, `${k} changed while frozen`);
  const top = 'bert.encoder.layer.3.output.dense.weight';
  assert.notDeepEqual(atFreeze.get(top)!.f, grown.get(top)!.f, 'the new top layers train from the start');
  await ligoTrain(flags(mslt.dir, { steps: FREEZE + 2 }), runDir); // resumes at the unfreeze step
  assert.equal(readRunLog(join(runDir, LOG_FILE)).filter((r) => r.type === 'train').length, FREEZE + 2);
  const later = weights(runDir);
  for (const k of frozen) assert.notDeepEqual(later.get(k)!.f, grown.get(k)!.f, `${k} did not train after step ${FREEZE}`);
});

test('a grown MLM fine-tunes on brown-genre: fresh classifier, MLM head left out, the freeze kept, accuracy logged', async () => {
  const runDir = join(tmp, 'run-genre');
  const said = await ligoTrain(flags(mslt.dir, { data: 'brown-genre', steps: FREEZE, evalBatches: 2 }), runDir);
  assert.match(said, /BertForSequenceClassification: initialised bert\.pooler\.dense, classifier fresh \(seed 0\)/);
  assert.match(said, /not used from .*: cls\.predictions\.bias, cls\.predictions\.transform\.LayerNorm, cls\.predictions\.transform\.dense/);
  assert.match(said, /validation loss \d+\.\d+, accuracy \d+\.\d%/);
  const saved = loadCheckpoint(latestCheckpointDir(runDir)!);
  assert.deepEqual(saved.config.architectures, ['BertForSequenceClassification']);
  assert.equal(Object.keys(saved.config.id2label as object).length, 15);
  assert.deepEqual(saved.tensors.get('classifier.weight')!.shape, [15, 32]);
  assert.ok(![...saved.tensors.keys()].some((k) => k.startsWith('cls.')));
  for (const k of frozen) assert.deepEqual(saved.tensors.get(k)!.f, grown.get(k)!.f, `${k} changed while frozen`);
  const evals = readRunLog(join(runDir, LOG_FILE)).filter((r): r is EvalRecord => r.type === 'eval');
  assert.equal(evals.length, 1);
  assert.ok(evals[0]!.valAccuracy! >= 0 && evals[0]!.valAccuracy! <= 1 && Number.isFinite(evals[0]!.valLoss));
});

test("LEMON's learning-rate advice is printed with the run's own settings", async () => {
  const lemon = grownDir('lemon', 'lemon', withDims(small, { layers: 3, hidden: 64, heads: 4, ffn: 128 }), {});
  const said = await ligoTrain(flags(lemon.dir, { steps: 1 }), join(tmp, 'run-lemon'));
  assert.match(said, /advice \(.*grow\.json\): LEMON §5: keep the small model's peak learning rate .*; this run uses --lr 0\.01, --warmup 0, --schedule linear/);
});

test("MSG: the grown model's masks reach the run, ramped in over the grown model's steps", async () => {
  const msg = grownDir('msg', 'msg', withDims(small, { hidden: 64, heads: 4, ffn: 128 }), { rampSteps: 4 });
  const runDir = join(tmp, 'run-msg');
  const said = await ligoTrain(flags(msg.dir, { steps: 1, lr: 1e-6 }), runDir);
  assert.match(said, new RegExp(`new structure in ${msg.result.schedule!.maskRamp!.masks.size} tensors is ramped in over 4 steps`));
  assert.equal(readRunLog(join(runDir, LOG_FILE)).filter((r) => r.type === 'train').length, 1);
});
