// Experiment features beyond the text basics: a method's own training budget (a grown model
// trained without warmup) reaches train() and leaves other specs' hashes alone; composed growth
// 'A+B' equals running A (width) then B (depth) by hand, in the runner too; image data trains a
// ViT experiment end to end (Fashion-MNIST from Debian's dataset-fashion-mnist).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UNIGRAM_FILE, legDir, methodBudget, parseSpec, readSpec, runExperiment, specHash, trainDir } from '../src/experiment/index.ts';
import { LOG_FILE, readRunLog } from '../src/train/index.ts';
import { getMethod } from '../src/grow/index.ts';
import { configFromJSON, dims, modelFor, withDims } from '../src/models/index.ts';
import { writeReport } from '../src/report/index.ts';
import { bert, tinySpec, tinyTraining } from './run-fixtures.ts';
import { fashionMnistSkip } from './optional.ts';

const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-experiment-methods-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("a method's training fields override the large budget for that method only; specs without them hash as before", () => {
  assert.equal(specHash(readSpec('test/fixtures/demo-spec-one-seed.json')), '3ca510f1f875', 'the earlier demo spec hashes the same as before methods could have their own budgets, and before specs could list seeds');
  assert.equal(specHash(readSpec('experiments/demo.json')), 'cadd758edb15', 'the demo spec (width and depth) hashes the same as when it was written');
  const plain = parseSpec(tinySpec());
  assert.ok(!('training' in plain.methods[1]!), 'no training key when the method gives none');
  const s = tinySpec();
  s.large.training = { ...tinyTraining, warmupSteps: 2 };
  s.methods[1].training = { warmupSteps: 0, lr: 1e-3 };
  const spec = parseSpec(s);
  assert.deepEqual(spec.methods[1]!.training, { warmupSteps: 0, lr: 1e-3 });
  assert.equal(methodBudget(spec.large.training, spec.methods[1]!).warmupSteps, 0);
  assert.equal(methodBudget(spec.large.training, spec.methods[0]!).warmupSteps, 2);
  const dir = join(tmp, 'budget');
  runExperiment(spec, dir);
  const lrs = (label: string) => readRunLog(join(trainDir(legDir(dir, label)), LOG_FILE)).flatMap((r) => (r.type === 'train' ? [r.lr as number] : []));
  assert.ok(lrs('scratch')[0]! < lrs('scratch')[1]!, 'scratch warms up');
  assert.equal(lrs('ligo')[0], 1e-3, 'ligo starts at its own peak lr, without warmup');
});

test("composed growth 'A+B' is A's width growth at the small depth followed by B's depth growth", () => {
  const wide = { ...bert(2, 64), num_attention_heads: 4 };
  const spec = parseSpec({ ...tinySpec(), large: { config: wide, training: tinyTraining }, methods: [{ name: 'scratch' }, { name: 'hypercloning+stackbert', options: { hypercloning: { noise: false } } }] });
  assert.equal(spec.methods[1]!.label, 'hypercloning+stackbert');
  const sc = configFromJSON({ ...bert(1), vocab_size: 256 });
  const lc = configFromJSON({ ...wide, vocab_size: 256 });
  const model = modelFor(sc);
  const params = new Map(model.flatten(model.initParams(sc, 3)));
  const composed = getMethod('hypercloning+stackbert').grow(params, sc, lc, { seed: 1, options: { hypercloning: { noise: false } } }).params;
  const mid = withDims(lc, { layers: dims(sc).layers });
  const widened = getMethod('hypercloning').grow(params, sc, mid, { seed: 1, options: { noise: false } }).params;
  const byHand = getMethod('stackbert').grow(widened, mid, lc, { seed: 1, options: {} }).params;
  assert.deepEqual([...composed.keys()].sort(), [...byHand.keys()].sort());
  for (const [k, t] of composed) assert.deepEqual(Array.from(t.f), Array.from(byHand.get(k)!.f), k);
  assert.throws(() => getMethod('hypercloning+stackbert').grow(params, sc, lc, { seed: 1, options: { noise: false } }), /options go under each part's name \(hypercloning, stackbert\), got 'noise'/);
  assert.throws(() => getMethod('net2net+ligo'), /ligo learns from data and cannot be part of a composed growth/);
  assert.throws(() => getMethod('a+b+c'), /must be two methods, WIDTH\+DEPTH/);
});

test('image data: a ViT experiment on Fashion-MNIST runs scratch and a grown model end to end, then fine-tunes both on MNIST', { skip: fashionMnistSkip }, () => {
  const vit = (layers: number) => ({ model_type: 'vit', image_size: 28, patch_size: 7, num_channels: 1, num_labels: 10, num_hidden_layers: layers, hidden_size: 32, num_attention_heads: 2, intermediate_size: 64, hidden_dropout_prob: 0 });
  const training = { steps: 2, batchSize: 4, lr: 1e-3, evalEvery: 2, saveEvery: 2 };
  const raw = { name: 'vit', data: 'fashion-mnist', evalBatches: 1, small: { config: vit(1), training }, large: { config: vit(2), training }, methods: [{ name: 'scratch' }, { name: 'stackbert' }] };
  assert.throws(() => parseSpec({ ...raw, downstream: { data: 'brown-genre', training } }), /^SpecError: spec\.downstream\.data: fashion-mnist experiments fine-tune on mnist or fashion-mnist, got brown-genre$/);
  const spec = parseSpec(raw);
  assert.equal(spec.tokenizer, null);
  const dir = join(tmp, 'vit');
  const run = runExperiment(spec, dir);
  assert.deepEqual(run.ran, ['small', 'scratch', 'stackbert']);
  assert.throws(() => parseSpec({ ...raw, downstream: { data: 'mnist', training, methods: ['ligo'] } }), /^SpecError: spec\.downstream\.methods: must be a non-empty list of method labels \(scratch, stackbert\), got \["ligo"\]$/);
  const more = runExperiment(parseSpec({ ...raw, downstream: { data: 'mnist', training } }), dir);
  assert.deepEqual(more.ran, ['scratch/downstream', 'stackbert/downstream'], 'adding a downstream section extends the finished run');
  const report = writeReport(dir);
  const md = fs.readFileSync(join(dir, 'results.md'), 'utf8');
  assert.match(md, /fine-tuned on mnist/);
  assert.match(md, /\| stackbert \| \d+\.\d% \| \d\.\d{4} \| 2 \|/);
  assert.ok(report.files.includes('results.md'));
  assert.ok(!fs.existsSync(join(dir, 'tokenizer.json')));
  const unigram = JSON.parse(fs.readFileSync(join(dir, UNIGRAM_FILE), 'utf8'));
  assert.ok(Math.abs(unigram.loss - Math.log(10)) < 1e-12, `Fashion-MNIST's training classes are balanced (6,000 each): the class prior is uniform, ln 10 for any targets; got ${unigram.loss}`);
  assert.deepEqual([unigram.targets, unigram.trainingTargets], [4, 60000], 'one validation batch of 4 images; 60,000 training labels');
  const evals = readRunLog(join(trainDir(legDir(dir, 'stackbert')), LOG_FILE)).filter((r) => r.type === 'eval');
  assert.ok(evals.length === 2 && evals.every((r) => Number.isFinite(r.valLoss as number)));
});

test('efficient training and staged training as methods: layer and token dropping cut the counted FLOPs; carried Adam moments continue the small run', () => {
  const s = tinySpec();
  s.large.config = bert(3);
  s.methods = [
    { name: 'scratch' },
    { name: 'stackbert', label: 'staged', carryOptimizer: true, training: { warmupSteps: 0 } },
    { name: 'scratch', label: 'pld', training: { layerDrop: { gamma: 0.5 } } },
    { name: 'scratch', label: 'token-drop', training: { tokenDrop: {} } },
  ];
  const spec = parseSpec(s);
  assert.deepEqual(spec.methods[3]!.training, { tokenDrop: { keepRatio: 0.5 } });
  const dir = join(tmp, 'efficient');
  runExperiment(spec, dir);
  const done = (label: string) => JSON.parse(fs.readFileSync(join(legDir(dir, label), 'done.json'), 'utf8')) as { flopsSixN: number };
  assert.ok(done('pld').flopsSixN < done('scratch').flopsSixN, 'dropped layers are not counted');
  assert.ok(done('token-drop').flopsSixN < done('scratch').flopsSixN, 'dropped tokens are not counted');
  const state = (label: string) => JSON.parse(fs.readFileSync(join(trainDir(legDir(dir, label)), 'checkpoints', 'step-000004', 'state.json'), 'utf8')) as { optimizerSteps: Record<string, number> };
  assert.deepEqual(Object.values(state('staged').optimizerSteps), [8], 'the small run\'s 4 Adam steps carry over');
  assert.deepEqual(Object.values(state('scratch').optimizerSteps), [4]);
  const bad = tinySpec();
  bad.methods.push({ name: 'ligo', label: 'ligo2', carryOptimizer: true });
  assert.throws(() => parseSpec(bad), /^SpecError: spec\.methods\[2\]\.carryOptimizer: ligo has no optimizer-state growth/);
  bad.methods = [{ name: 'scratch' }, { name: 'scratch', label: 'td', training: { tokenDrop: {} } }];
  assert.throws(() => parseSpec(bad), /^SpecError: spec\.methods\[1\]\.training\.tokenDrop: token dropping needs at least 3 layers/);
});
