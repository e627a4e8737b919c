// The training loop on a tiny BERT over a slice of Moby Dick: the loss goes down; two
// micro-batches give the same update as one double batch; frozen parameters stay bit-identical
// (and train once unfrozen); schedule values; the KI term; divergence stops with a message; a
// sequence-classification fine-tune from masked-LM weights learns and logs validation accuracy.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { modelFor, preset, sequenceClassificationConfig, shiftLabels, type BertConfig, type BertParams, type GPT2Config } from '../src/models/index.ts';
import { Rng, tensor, type Tensor } from '../src/tensor/index.ts';
import { buildTokenShards, loadCorpus, splitDocuments, type ClassificationDataset, type ClassificationExample } from '../src/data/index.ts';
import { trainWordPiece } from '../src/tokenize/index.ts';
import { loadCheckpoint } from '../src/io/checkpoint.ts';
import { LOG_FILE, TrainingDivergedError, distillationKl, evaluateMetrics, lrAt, objective, rampedParams, readRunLog, sequenceClassificationTask, textTask, train, latestCheckpointDir, type EvalRecord, type TrainRecord, type TrainSpec } from '../src/train/index.ts';
import { trainFlopsPerStep } from '../src/flops.ts';
import { assertClose } from './helpers.ts';

const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-train-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const config = preset<BertConfig>('bert-tiny', { vocab_size: 512, hidden_size: 32, intermediate_size: 64, num_attention_heads: 2, max_position_embeddings: 64, hidden_dropout_prob: 0 });
const split = splitDocuments(loadCorpus('moby-dick'));
const docs = { train: split.train.slice(0, 30), validation: split.validation };
const tokenizer = trainWordPiece(docs.train.map((d) => d.text), { vocabSize: 512 });
const shards = { train: buildTokenShards(docs.train, tokenizer, join(tmp, 'cache')), validation: buildTokenShards(docs.validation, tokenizer, join(tmp, 'cache')) };

let runs = 0;
function spec(over: Partial<TrainSpec> & { batchSize?: number } = {}): TrainSpec {
  const { batchSize = 8, ...rest } = over;
  return {
    runDir: join(tmp, `run-${runs++}`),
    config,
    task: textTask({ kind: 'masked-lm', train: shards.train, validation: shards.validation, tokenizer, batchSize, seqLen: 32, seed: 5, evalBatches: 2 }),
    steps: 30,
    lr: 3e-3,
    warmupSteps: 3,
    decay: 'linear',
    weightDecay: 0.01,
    clipNorm: 1,
    accumSteps: 1,
    evalEvery: 0,
    saveEvery: 0,
    seed: 1,
    ...rest,
  };
}

const trainLosses = (runDir: string) => readRunLog(join(runDir, LOG_FILE)).filter((r): r is TrainRecord => r.type === 'train').map((r) => r.loss);
const finalWeights = (runDir: string) => loadCheckpoint(latestCheckpointDir(runDir)!).tensors;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('a tiny BERT learns: the mean loss of the last 5 of 30 updates is well below the first 5', () => {
  const s = spec();
  const r = train(s);
  const losses = trainLosses(s.runDir);
  assert.equal(losses.length, 30);
  assert.ok(mean(losses.slice(-5)) < mean(losses.slice(0, 5)) - 0.3, `losses ${losses.map((l) => l.toFixed(2)).join(' ')}`);
  assert.ok(r.valLoss !== null && Number.isFinite(r.valLoss));
  const perStep = trainFlopsPerStep(s.config, { batchSize: 8, seqLen: 32 });
  assert.deepEqual([r.flopsElectra, r.flopsSixN], [30 * perStep.flopsElectra, 30 * perStep.flopsSixN]);
});

test('gradient accumulation: 2 micro-batches of 4 equal one batch of 8 (same windows, same masks)', () => {
  const one = spec({ steps: 3, batchSize: 8 });
  const two = spec({ steps: 3, batchSize: 4, accumSteps: 2 });
  train(one);
  train(two);
  assertClose(trainLosses(two.runDir), trainLosses(one.runDir), 1e-5, 'losses');
  const a = finalWeights(one.runDir);
  const b = finalWeights(two.runDir);
  for (const [key, t] of a) assertClose(b.get(key)!.f, t.f, 1e-4, key);
});

test('MSLT freezing keeps frozen parameters bit-identical until untilStep, then they train', () => {
  const model = modelFor(config);
  const init = new Map(model.flatten(model.initParams(config, 9)));
  const frozen = [...init.keys()].filter((k) => k.startsWith('bert.encoder.layer.0.'));
  const s = spec({ steps: 4, initialParams: init, growSchedule: { freeze: { keys: frozen, untilStep: 4 } } });
  train(s);
  const after4 = finalWeights(s.runDir);
  for (const k of frozen) assert.deepEqual(after4.get(k)!.f, init.get(k)!.f, `${k} changed while frozen`);
  assert.notDeepEqual(after4.get('bert.encoder.layer.1.output.dense.weight')!.f, init.get('bert.encoder.layer.1.output.dense.weight')!.f);
  train({ ...s, steps: 6 }); // resumes at step 4, where the frozen group joins
  const after6 = finalWeights(s.runDir);
  for (const k of frozen) assert.notDeepEqual(after6.get(k)!.f, init.get(k)!.f, `${k} did not train after untilStep`);
});

test('schedules: linear and cosine decay after linear warmup (transformers semantics)', () => {
  const base = { peakLr: 1e-3, warmupSteps: 10, totalSteps: 110 };
  const linear = { ...base, decay: 'linear' as const };
  const cosine = { ...base, decay: 'cosine' as const };
  assert.equal(lrAt(linear, 0), 0);
  assert.equal(lrAt(linear, 5), 5e-4);
  assert.equal(lrAt(linear, 10), 1e-3);
  assert.equal(lrAt(linear, 60), 5e-4);
  assert.equal(lrAt(linear, 110), 0);
  assertClose([lrAt(cosine, 60), lrAt(cosine, 35), lrAt(cosine, 110)], [5e-4, 1e-3 * 0.5 * (1 + Math.cos(Math.PI / 4)), 0], 1e-15);
  assert.equal(lrAt({ ...base, decay: 'constant' }, 100), 1e-3);
});

test('KI: the distillation term is 0 with alpha = 0, positive otherwise; task loss equals model.loss', () => {
  const rng = new Rng(4);
  const B = 2;
  const T = 16;
  const inputIds = tensor(Array.from({ length: B * T }, () => 5 + rng.int(500)), [B, T], 'int32');
  const labels = tensor(Array.from(inputIds.data, (x, i) => (i % 4 === 0 ? x : -100)), [B, T], 'int32');
  const mb = { batch: { inputIds, labels }, targets: labels, weight: 8 };
  const student = modelFor(config).initParams(config, 1);
  const teacherConfig = preset<BertConfig>('bert-tiny', { ...config, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1 });
  const teacher = { config: teacherConfig, params: modelFor(teacherConfig).initParams(teacherConfig, 2) };
  const plain = objective(config, student, mb, null, null);
  assertClose([plain.task.item()], [modelFor(config).loss(student, config, mb.batch).item()], 1e-6, 'task loss');
  assert.equal(objective(config, student, mb, null, { ...teacher, alpha: 0 }).kiWeighted!.item(), 0);
  const ki = objective(config, student, mb, null, { ...teacher, alpha: 0.5 });
  assert.ok(ki.kiWeighted!.item() > 0);
  assertClose([ki.loss.item()], [0.5 * plain.task.item() + ki.kiWeighted!.item()], 1e-6, 'KI objective');
  const logits = modelFor(config).forward(student, config, mb.batch);
  assert.ok(Math.abs(distillationKl(logits, logits, labels).item()) < 1e-6, 'KL of a model with itself');
});

test('causal LM targets are the inputs shifted left: the same loss as GPT-2 loss()', () => {
  const g = preset<GPT2Config>('gpt2-tiny', { vocab_size: 64, n_embd: 16, n_head: 2, n_layer: 1, n_positions: 16, bos_token_id: 63, eos_token_id: 63 });
  const ids: Tensor = tensor(Array.from({ length: 24 }, (_, i) => (i * 7) % 64), [2, 12], 'int32');
  const params = modelFor(g).initParams(g, 0);
  const mine = objective(g, params, { batch: { inputIds: ids, labels: ids }, targets: shiftLabels(ids), weight: 22 }, null, null).task.item();
  assertClose([mine], [modelFor(g).loss(params, g, { inputIds: ids, labels: ids }).item()], 1e-6);
});

test('NaN in the loss stops the run with a message naming the step and how to resume', () => {
  const model = modelFor(config);
  const init = new Map(model.flatten(model.initParams(config, 3)));
  init.get('bert.embeddings.LayerNorm.weight')!.f[0] = Number.NaN;
  const s = spec({ steps: 5, initialParams: init });
  assert.throws(() => train(s), (e: unknown) => e instanceof TrainingDivergedError && e.step === 1 && /diverged at step 1/.test(e.message) && /lower learning rate/.test(e.message));
  assert.ok(!fs.existsSync(join(s.runDir, 'lock')), 'the lock is released');
});

test('MSG mask ramp: masked entries enter the forward pass scaled by step / steps', () => {
  const model = modelFor(config);
  const fresh = () => model.flatten(model.initParams(config, 2));
  const flat = fresh();
  const key = 'bert.encoder.layer.1.output.dense.weight';
  const w = flat.find(([k]) => k === key)![1];
  const mask = tensor(Array.from({ length: w.size }, (_, i) => i % 2), [...w.shape]);
  const view = (ramp: number) => new Map(model.flatten(rampedParams(config, flat, new Map([[key, mask]]), ramp) as BertParams)).get(key)!.f;
  assertClose(view(0.25), Array.from(w.f, (x, i) => (i % 2 ? 0.25 * x : x)), 1e-7, 'ramp 0.25');

  // In training, update 0 of a 2-step ramp runs with the masked entries at 0: its loss is that of
  // a run starting from weights with those entries zeroed, and not that of the unramped weights
  // (the matrix is scaled up so that its masked half matters to the loss).
  const start = (masked: number) => new Map([...fresh(), [key, tensor(w.f.map((x, i) => (i % 2 ? masked : 1) * 20 * x), [...w.shape])]]);
  const ramped = spec({ steps: 3, initialParams: start(1), growSchedule: { maskRamp: { masks: new Map([[key, mask]]), steps: 2 } } });
  assert.equal(train(ramped).step, 3);
  const zeroed = spec({ steps: 1, initialParams: start(0) });
  const plain = spec({ steps: 1, initialParams: start(1) });
  train(zeroed);
  train(plain);
  const [rampLoss, zeroLoss, plainLoss] = [ramped, zeroed, plain].map((s) => trainLosses(s.runDir)[0]!);
  assertClose([rampLoss], [zeroLoss], 1e-6, 'first-update loss: ramped vs masked entries zeroed');
  assert.ok(Math.abs(rampLoss - plainLoss) > 1e-3, `the ramp changes the first update's loss (${rampLoss} vs ${plainLoss} unramped)`);
});

test('sequence classification from masked-LM weights: the loss goes down, validation logs loss and accuracy', () => {
  // Synthetic genres: each label has its own words (ids 20-119, 120-219, 220-319); lengths vary, so batches are padded.
  const labels = ['a', 'b', 'c'];
  const rng = new Rng(11);
  const example = (): ClassificationExample => {
    const label = rng.int(3);
    const body = Array.from({ length: 3 + rng.int(8) }, () => 20 + 100 * label + rng.int(100));
    return { inputIds: [tokenizer.special.cls!, ...body, tokenizer.special.sep!], label, docId: 'synthetic' };
  };
  const dataset: ClassificationDataset = { labels, train: Array.from({ length: 96 }, example), validation: Array.from({ length: 24 }, example) };
  const cls = sequenceClassificationConfig(config, labels);
  const mlm = modelFor(config);
  const model = modelFor(cls);
  const loaded = model.paramsFromFlat(cls, new Map(mlm.flatten(mlm.initParams(config, 3))), { seed: 3 });
  assert.deepEqual(loaded.initializedKeys, ['bert.pooler.dense.weight', 'bert.pooler.dense.bias', 'classifier.weight', 'classifier.bias']);
  const s = spec({ config: cls, initialParams: new Map(model.flatten(loaded.params)), task: sequenceClassificationTask({ dataset, tokenizer, batchSize: 8, seqLen: 12, seed: 2, evalBatches: 2 }), steps: 120, lr: 5e-3, evalEvery: 60 });
  const r = train(s);
  const losses = trainLosses(s.runDir);
  assert.ok(mean(losses.slice(-5)) < mean(losses.slice(0, 5)) - 0.3, `losses ${losses.map((l) => l.toFixed(2)).join(' ')}`);
  const evals = readRunLog(join(s.runDir, LOG_FILE)).filter((x): x is EvalRecord => x.type === 'eval');
  assert.deepEqual(evals.map((e) => e.step), [0, 60, 120]);
  assert.ok(evals.every((e) => Number.isFinite(e.valLoss) && e.valAccuracy !== undefined && e.valAccuracy >= 0 && e.valAccuracy <= 1));
  assert.equal(r.valAccuracy, evals[2]!.valAccuracy);
  assert.ok(r.valAccuracy! >= 0.75, `validation accuracy ${r.valAccuracy} on labels the words give away`);
  // The logged numbers are what the saved weights score on the same (evenly spread) 16 validation pieces.
  const saved = loadCheckpoint(latestCheckpointDir(s.runDir)!);
  const final = model.paramsFromFlat(cls, saved.tensors).params;
  const m = evaluateMetrics(cls, final, s.task(null).validation());
  assertClose([m.loss, m.accuracy], [r.valLoss!, r.valAccuracy!], 1e-6, 'validation metrics');
  assert.deepEqual(saved.config.id2label, { 0: 'a', 1: 'b', 2: 'c' });
  // Language-model runs log no accuracy.
  const lm = spec({ steps: 1 });
  train(lm);
  assert.ok(readRunLog(join(lm.runDir, LOG_FILE)).every((x) => x.type !== 'eval' || !('valAccuracy' in x)));
});
