// Run-directory fixtures shared by the experiment and report tests: a tiny spec that really trains
// in seconds (scratch + LiGO on a slice-sized BERT), and a hand-written run directory (spec.json,
// train.jsonl 'eval' records, growth.json, unigram.json) whose curves give known savings, with one
// seed or several.

import fs from 'node:fs';
import { join } from 'node:path';
import { GROWTH_FILE, SPEC_FILE, UNIGRAM_FILE, legDir, parseSpec, seedRoots, smallDir, specHash, trainDir, writeJson } from '../src/experiment/index.ts';
import { LOG_FILE } from '../src/train/index.ts';
import type { Cost, MethodCurve, ValPoint } from '../src/report/index.ts';

export const bert = (layers: number, hidden = 32) => ({ model_type: 'bert', num_hidden_layers: layers, hidden_size: hidden, num_attention_heads: 2, intermediate_size: 2 * hidden, max_position_embeddings: 32, hidden_dropout_prob: 0 });
export const tinyTraining = { steps: 4, batchSize: 4, lr: 3e-3, evalEvery: 2, saveEvery: 2 };

/** A fresh (mutable) copy of the tiny spec. */
export function tinySpec(): Record<string, any> {
  return JSON.parse(JSON.stringify({
    name: 'tiny',
    data: 'moby-dick',
    tokenizer: { vocabSize: 256 },
    seqLen: 16,
    evalBatches: 2,
    small: { config: bert(1), training: tinyTraining },
    large: { config: bert(2), training: tinyTraining },
    methods: [{ name: 'scratch' }, { name: 'ligo', options: { steps: 2 } }],
  }));
}

/** Validation every 10 steps; per step 1e9 FLOPs (ELECTRA), 1.5e9 (6N), 0.5 s. */
export const curve = (losses: number[]): ValPoint[] => losses.map((valLoss, i) => ({ step: 10 * (i + 1), valLoss, flopsElectra: 1e10 * (i + 1), flopsSixN: 1.5e10 * (i + 1), wallSeconds: 5 * (i + 1) }));
export const zero: Cost = { flopsElectra: 0, flopsSixN: 0, wallSeconds: 0 };
/** The fake run's small-model pretraining cost. */
export const fakeSmall: Cost = { flopsElectra: 1e10, flopsSixN: 1.5e10, wallSeconds: 4 };
/** The fake run's curves: ligo reaches scratch's final loss (5.0) at step 25, stackbert never, ki at its first point. */
export const fakeCurves: MethodCurve[] = [
  { label: 'scratch', method: 'scratch', points: curve([7, 6, 5.5, 5.0]), growth: zero, usesSmall: false },
  { label: 'ligo', method: 'ligo', points: curve([6.0, 5.2, 4.8, 4.6]), growth: { flopsElectra: 2e9, flopsSixN: 3e9, wallSeconds: 3 }, usesSmall: true },
  { label: 'stackbert', method: 'stackbert', points: curve([6.5, 6.0, 5.5, 5.1]), growth: zero, usesSmall: true },
  { label: 'ki', method: 'scratch', points: curve([4.9, 4.8, 4.7, 4.6]), growth: zero, usesSmall: true },
];

/**
 * Writes DIR as the runner leaves it (spec.json, logs, growth.json), with fakeCurves' logs; returns
 * DIR. With several seeds, seed number i (0, 1, ...) has every loss raised by 0.05 i, ligo's growth
 * costs (1 + i) times fakeCurves', and its unigram.json holds 6 + 0.2 i (the one-seed run has none).
 */
export function writeFakeRun(dir: string, seeds: number[] = [0]): string {
  const training = { steps: 40, evalEvery: 10 };
  const spec = parseSpec({ name: 'fake', data: 'moby-dick', tokenizer: { vocabSize: 256 }, seqLen: 16, ...(seeds.length > 1 ? { seeds } : { seed: seeds[0] }), small: { config: bert(1), training }, large: { config: bert(2), training }, methods: [{ name: 'scratch' }, { name: 'ligo' }, { name: 'stackbert' }, { name: 'scratch', label: 'ki', ki: {} }] });
  fs.mkdirSync(dir, { recursive: true });
  writeJson(join(dir, SPEC_FILE), { hash: specHash(spec), spec });
  const log = (runDir: string, points: ValPoint[]) => {
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(join(runDir, LOG_FILE), points.map((p) => JSON.stringify({ type: 'eval', ...p }) + '\n').join(''));
  };
  seedRoots(spec, dir).forEach(({ root }, i) => {
    log(trainDir(smallDir(root)), [{ step: 40, valLoss: 5.5, ...fakeSmall }]);
    for (const c of fakeCurves) log(trainDir(legDir(root, c.label)), c.points.map((p) => ({ ...p, valLoss: p.valLoss + 0.05 * i })));
    const growth = fakeCurves[1]!.growth;
    writeJson(join(legDir(root, 'ligo'), GROWTH_FILE), { method: 'ligo', operatorSteps: 100, flopsElectra: growth.flopsElectra * (1 + i), flopsSixN: growth.flopsSixN * (1 + i), wallSeconds: growth.wallSeconds * (1 + i) });
    if (seeds.length > 1) writeJson(join(root, UNIGRAM_FILE), { loss: 6 + 0.2 * i, targets: 100, trainingTargets: 1000 });
  });
  return dir;
}
