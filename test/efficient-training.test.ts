// Progressive layer dropping and token dropping in the training loop (src/train/layer-drop.ts,
// token-drop.ts): the schedule and its deterministic draws; the per-token losses
// (crossEntropyRows), the token-importance statistic and which positions are kept; rescaling only in pre-LN families; keep probability 1 and keep ratio
// 1 train bit-identically to plain training; an interrupted run resumes with the same choices
// and losses; the loop's FLOPs are the engine's matmul FLOPs of what ran (the MLM head at its
// counted share of the positions); bad values and models
// are refused in one line (library and CLI).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { modelFor, preset, sequenceClassificationConfig, type BertConfig, type LayerUse } from '../src/models/index.ts';
import { Rng, crossEntropy, crossEntropyRows, getBackend, tensor, useBackend, withBackend, type Tensor } from '../src/tensor/index.ts';
import { loadNativeBackend } from '../src/tensor/native.ts';
import { buildTokenShards, loadCorpus, splitDocuments } from '../src/data/index.ts';
import { trainWordPiece } from '../src/tokenize/index.ts';
import { loadCheckpoint } from '../src/io/checkpoint.ts';
import { LAYER_DROP_DEFAULTS, LOG_FILE, TokenImportance, keptPositions, latestCheckpointDir, layerDropPlan, layerDropTheta, layerKeepProbs, readRunLog, textTask, train, type MicroBatch, type TrainRecord, type TrainSpec } from '../src/train/index.ts';
import { MLM_OUTPUT_FRACTION, trainFlopsPerStep } from '../src/flops.ts';
import { countingBackend } from './helpers.ts';

const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-efficient-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const config = preset<BertConfig>('bert-tiny', { vocab_size: 400, hidden_size: 32, intermediate_size: 48, num_attention_heads: 2, num_hidden_layers: 4, max_position_embeddings: 64 });
const split = splitDocuments(loadCorpus('moby-dick'));
const docs = { train: split.train.slice(0, 20), validation: split.validation };
const tokenizer = trainWordPiece(docs.train.map((d) => d.text), { vocabSize: 400 });
const shards = { train: buildTokenShards(docs.train, tokenizer, join(tmp, 'cache')), validation: buildTokenShards(docs.validation, tokenizer, join(tmp, 'cache')) };

let runs = 0;
function spec(over: Partial<TrainSpec> = {}): TrainSpec {
  return {
    runDir: join(tmp, `run-${runs++}`),
    config,
    task: textTask({ kind: 'masked-lm', train: shards.train, validation: shards.validation, tokenizer, batchSize: 4, seqLen: 24, seed: 3, evalBatches: 1 }),
    steps: 6,
    lr: 3e-3,
    warmupSteps: 1,
    decay: 'linear',
    weightDecay: 0.01,
    clipNorm: 1,
    accumSteps: 2,
    evalEvery: 3,
    saveEvery: 0,
    seed: 2,
    ...over,
  };
}

/** The deterministic part of a run's log. */
const curve = (runDir: string) => readRunLog(join(runDir, LOG_FILE)).flatMap((r) => (r.type === 'train' ? [[r.step, r.loss, r.gradNorm, r.flopsElectra, r.flopsSixN, r.tokens]] : r.type === 'eval' ? [['eval', r.step, r.valLoss]] : []));
const finalWeights = (runDir: string) => [...loadCheckpoint(latestCheckpointDir(runDir)!).tensors].map(([k, t]) => [k, Array.from(t.f)]);
const dropping = { layerDrop: { thetaBar: 0.5, gamma: 0.5 }, tokenDrop: { keepRatio: 0.5 } };

test('layer-drop schedule: theta(t) and p_i(t) as the paper; draws hashed from (seed, step, micro-batch, layer)', () => {
  const s = LAYER_DROP_DEFAULTS;
  assert.deepEqual(s, { thetaBar: 0.5, gamma: 0.001 });
  assert.equal(layerDropTheta(s, 0), 1);
  assert.equal(layerDropTheta(s, 1000), 0.5 * Math.exp(-1) + 0.5);
  assert.deepEqual(layerKeepProbs(s, 0, 4), [1, 1, 1, 1]);
  const late = layerKeepProbs({ thetaBar: 0.5, gamma: 1 }, 1e6, 4);
  assert.deepEqual(late, [0.875, 0.75, 0.625, 0.5]);
  const plan = (step: number, micro: number) => layerDropPlan({ thetaBar: 0.5, gamma: 1 }, 7, step, micro, 4);
  assert.deepEqual(plan(50, 1), plan(50, 1));
  const runsOf = (i: number) => Array.from({ length: 2000 }, (_, k) => plan(100 + (k >> 1), k & 1)[i]!.run).filter(Boolean).length / 2000;
  late.forEach((p, i) => assert.ok(Math.abs(runsOf(i) - p) < 0.04, `layer ${i + 1}: ran ${runsOf(i)}, p ${p}`));
  assert.ok(plan(0, 0).every((u) => u.run && u.keepProb === 1), 'every layer runs at the first update');
});

test("crossEntropyRows: each row's loss, 0 where ignored, averaging to crossEntropy; native and reference agree", () => {
  const rng = new Rng(4);
  const logits = tensor(Array.from({ length: 3 * 4 * 9 }, () => 3 * rng.normal()), [3, 4, 9]);
  const targets = tensor([1, -100, 8, 0, -100, -100, 4, 4, 2, 7, -100, 3], [3, 4], 'int32');
  for (const backend of ['reference', 'native'] as const) {
    if (backend === 'native' && !loadNativeBackend()) continue;
    withBackend(backend, () => {
      const rows = crossEntropyRows(logits, targets).toArray();
      const x = logits.toArray();
      rows.forEach((loss, r) => {
        const y = targets.i[r]!;
        const row = x.slice(r * 9, (r + 1) * 9);
        const expected = y === -100 ? 0 : Math.log(row.reduce((a, v) => a + Math.exp(v), 0)) - row[y]!;
        assert.ok(Math.abs(loss - expected) < 1e-5, `${backend} row ${r}: ${loss} vs ${expected}`);
      });
      assert.ok(Math.abs(rows.reduce((a, b) => a + b, 0) / 8 - crossEntropy(logits, targets).item()) < 1e-6, backend);
    });
  }
});

test('token importance: ids never predicted count 10; each target folds its cross-entropy in with beta 0.995', () => {
  const imp = TokenImportance.fresh(5);
  assert.deepEqual(imp.state(), [10, 10, 10, 10, 10]);
  const logits = tensor([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 2, 5]); // uniform: loss ln 5
  imp.update(logits, tensor([3, -100], [1, 2], 'int32'));
  assert.ok(Math.abs(imp.of(3) - (0.995 * 10 + 0.005 * Math.log(5))) < 1e-9);
  assert.equal(imp.of(1), 10);
  assert.deepEqual(TokenImportance.fromState(imp.state(), 5).state(), imp.state());
  assert.throws(() => TokenImportance.fromState(imp.state(), 6), /5 entries for a vocabulary of 6/);
});

test('kept positions: masked and special tokens always, padding last, then the most important ids; K = round(ratio T) or what must be kept', () => {
  const imp = TokenImportance.fresh(20);
  imp.update(tensor(Array.from({ length: 40 }, (_, k) => (k === 11 || k === 33 ? 9 : 0)), [2, 20]), tensor([12, 13], [2], 'int32')); // ids 12 and 13: low loss
  // Two sequences of 8: id 1 is special, -100 marks no target, mask 0 marks padding.
  const inputIds = tensor([1, 12, 13, 5, 6, 7, 1, 0, 1, 12, 12, 12, 8, 1, 0, 0], [2, 8], 'int32');
  const targets = tensor([-100, -100, -100, -100, 9, -100, -100, -100, -100, -100, -100, -100, -100, -100, -100, -100], [2, 8], 'int32');
  const attentionMask = tensor([1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0], [2, 8], 'int32');
  const mb: MicroBatch = { batch: { inputIds, attentionMask, labels: targets }, targets, weight: 1 };
  const site = { seed: 1, step: 0, micro: 0 };
  const keep = keptPositions(mb, imp, 0.5, [1], site);
  assert.deepEqual(keep.shape, [2, 4]);
  const rows = [Array.from(keep.i.slice(0, 4)), Array.from(keep.i.slice(4))];
  // Sequence 0: specials at 0 and 6, the target at 4, then one of ids 5 and 7 (unseen, 10) over 12, 13 (lower).
  assert.ok(rows[0]!.includes(0) && rows[0]!.includes(6) && rows[0]!.includes(4), `${rows[0]}`);
  assert.ok(rows[0]!.includes(3) || rows[0]!.includes(5), `${rows[0]}`);
  // Sequence 1: specials at 8 and 13 of the batch (0 and 5), id 8 (unseen), then one of the id-12 positions; never padding.
  assert.ok([0, 5, 4].every((t) => rows[1]!.includes(t)) && !rows[1]!.includes(6) && !rows[1]!.includes(7), `${rows[1]}`);
  rows.forEach((r) => assert.deepEqual(r, [...r].sort((a, b) => a - b)));
  assert.deepEqual(keptPositions(mb, imp, 0.5, [1], site).toArray(), keep.toArray(), 'deterministic');
  assert.deepEqual(keptPositions(mb, imp, 1 / 8, [1], site).shape, [2, 3], 'raised to the 3 must-keep positions of sequence 0');
});

test('rescaling: pre-LN GPT-2 scales a running layer by 1 / keep probability; post-LN BERT does not', () => {
  const ids = tensor([3, 7, 2, 9, 4, 1], [1, 6], 'int32');
  const at = (keepProb: number): LayerUse[] => [{ run: true, keepProb }, { run: true, keepProb }];
  const gpt2 = preset('gpt2-tiny', { vocab_size: 16, n_embd: 16, n_head: 2, n_positions: 8, bos_token_id: 15, eos_token_id: 15 });
  const g = modelFor(gpt2);
  const gp = g.initParams(gpt2, 0);
  const bert = preset<BertConfig>('bert-tiny', { vocab_size: 16, hidden_size: 16, intermediate_size: 24, num_attention_heads: 2, max_position_embeddings: 8 });
  const b = modelFor(bert);
  const bp = b.initParams(bert, 0);
  const logits = (f: () => Tensor) => f().toArray();
  assert.deepEqual(logits(() => g.forward(gp, gpt2, { inputIds: ids }, { layers: at(1) })), logits(() => g.forward(gp, gpt2, { inputIds: ids })));
  assert.notDeepEqual(logits(() => g.forward(gp, gpt2, { inputIds: ids }, { layers: at(0.5) })), logits(() => g.forward(gp, gpt2, { inputIds: ids })));
  assert.deepEqual(logits(() => b.forward(bp, bert, { inputIds: ids }, { layers: at(0.5) })), logits(() => b.forward(bp, bert, { inputIds: ids })));
  const skipAll = [{ run: false, keepProb: 0.5 }, { run: false, keepProb: 0.5 }];
  assert.notDeepEqual(logits(() => b.forward(bp, bert, { inputIds: ids }, { layers: skipAll })), logits(() => b.forward(bp, bert, { inputIds: ids })));
});

test('keep probability 1 (theta-bar 1) and keep ratio 1 train bit-identically to plain training', () => {
  const plain = spec();
  const allLayers = spec({ layerDrop: { thetaBar: 1, gamma: 0.5 } });
  const allTokens = spec({ tokenDrop: { keepRatio: 1 } });
  for (const s of [plain, allLayers, allTokens]) train(s);
  assert.deepEqual(curve(allLayers.runDir), curve(plain.runDir));
  assert.deepEqual(curve(allTokens.runDir), curve(plain.runDir));
  assert.deepEqual(finalWeights(allLayers.runDir), finalWeights(plain.runDir));
  assert.deepEqual(finalWeights(allTokens.runDir), finalWeights(plain.runDir));
});

test('an interrupted run with layer and token dropping resumes with the same choices: losses and FLOPs exactly as uninterrupted', () => {
  const whole = spec(dropping);
  train(whole);
  const interrupted = spec({ ...dropping, saveEvery: 3, observer: { onStep: (r) => assert.ok(r.step < 5, 'interrupted') } });
  assert.throws(() => train(interrupted), /interrupted/);
  const resumed = train({ ...interrupted, observer: {} });
  assert.equal(resumed.resumedFrom !== null, true);
  assert.deepEqual(curve(interrupted.runDir), curve(whole.runDir));
  assert.deepEqual(finalWeights(interrupted.runDir), finalWeights(whole.runDir));
  const full = trainFlopsPerStep(config, { batchSize: 8, seqLen: 24 });
  const last = curve(whole.runDir).filter((r) => r[0] !== 'eval').at(-1)!;
  assert.ok((last[4] as number) < 6 * full.flopsSixN && (last[3] as number) < 6 * full.flopsElectra, 'layers and tokens were dropped');
  const state = JSON.parse(fs.readFileSync(join(latestCheckpointDir(whole.runDir)!, 'state.json'), 'utf8'));
  assert.equal(state.tokenImportance.length, config.vocab_size);
});

test("the loop's 6N FLOPs of every update equal the engine's matmul FLOPs under layer and token dropping", () => {
  const prev = getBackend();
  const counter = countingBackend(prev);
  const counted: [number, number][] = [];
  useBackend(counter.backend);
  try {
    train(spec({ ...dropping, evalEvery: 0, observer: { onStep: (r: TrainRecord) => counted.push([r.flopsSixN, counter.flops()]) } }));
  } finally {
    useBackend(prev);
  }
  assert.equal(counted.length, 6);
  // The MLM head runs on a batch's labelled positions (K of them); 6N counts it on
  // MLM_OUTPUT_FRACTION of the positions (15 of the 96 here). Everything else must agree exactly:
  // the difference is whole head rows, and the K it implies is a possible count.
  const headRow = 6 * (config.hidden_size ** 2 + config.vocab_size * config.hidden_size);
  const expectedRows = MLM_OUTPUT_FRACTION * 4 * 24;
  for (const [logged, engine] of counted) {
    const labelled = expectedRows + (engine - logged) / headRow;
    assert.ok(Number.isInteger(labelled) && labelled >= 1 && labelled <= 4 * 24, `engine ${engine} vs logged ${logged}: ${labelled} labelled rows`);
  }
  assert.ok(counted.at(-1)![0] < 6 * trainFlopsPerStep(config, { batchSize: 8, seqLen: 24 }).flopsSixN, 'layers and tokens were dropped');
});

test('refused: token dropping on GPT-2, sequence classification or fewer than 3 layers; out-of-range keep ratio, theta-bar and gamma', () => {
  const gpt2 = preset('gpt2-tiny');
  assert.throws(() => train(spec({ config: gpt2, tokenDrop: { keepRatio: 0.5 } })), /token dropping trains a BERT or RoBERTa masked LM, but the model is gpt2 GPT2LMHeadModel/);
  assert.throws(() => train(spec({ config: sequenceClassificationConfig(config, ['a', 'b']), tokenDrop: { keepRatio: 0.5 } })), /masked LM, but the model is bert BertForSequenceClassification$/);
  assert.throws(() => train(spec({ config: { ...config, num_hidden_layers: 2 }, tokenDrop: { keepRatio: 0.5 } })), /needs at least 3 layers .* the model has 2/);
  assert.throws(() => train(spec({ tokenDrop: { keepRatio: 0 } })), /keep ratio must be in \(0, 1\], got 0/);
  assert.throws(() => train(spec({ layerDrop: { thetaBar: 0, gamma: 0.1 } })), /theta-bar must be in \(0, 1\], got 0/);
  assert.throws(() => train(spec({ layerDrop: { thetaBar: 0.5, gamma: 0 } })), /gamma must be a positive number, got 0/);
});

const LIGO = fileURLToPath(new URL('../bin/ligo.js', import.meta.url));

test('ligo train refuses bad dropping flags and unsupported models in one line, exit code 2', () => {
  const cases: [string[], RegExp][] = [
    [['--config', 'bert-4L-256H', '--token-drop', '0'], /option '--token-drop <keep-ratio>' argument '0' is invalid\. must be a number in \(0, 1\]/],
    [['--config', 'gpt2-tiny', '--token-drop', '0.5'], /error: token dropping trains a BERT or RoBERTa masked LM, but the model is gpt2 GPT2LMHeadModel$/],
    [['--config', 'bert-tiny', '--token-drop', '0.5'], /error: token dropping needs at least 3 layers/],
    [['--config', 'bert-tiny', '--layer-drop-gamma', '0.01'], /error: --layer-drop-theta and --layer-drop-gamma need --layer-drop$/],
    [['--config', 'bert-tiny', '--layer-drop', '--layer-drop-theta', '1.5'], /option '--layer-drop-theta <x>' argument '1\.5' is invalid/],
  ];
  cases.forEach(([flags, message], k) => {
    const r = spawnSync(process.execPath, [LIGO, 'train', '--data', 'moby-dick', '--out', join(tmp, `cli-${k}`), ...flags], { encoding: 'utf8', env: { ...process.env, LIGO_BACKEND: 'reference' } });
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, message);
  });
});
