// One growth method's growth, done once per experiment: the grown checkpoint (with grow.json
// and its training instructions) goes to LEG/grown and the operator's cost to LEG/growth.json,
// written last; a later run loads both instead of growing again.
//
// Cost charged to the method (GROWTH.md, "Costs that must be counted"): the measured wall time of
// the growth call, and the operator's FLOPs in both conventions: LiGO's exactly (its steps run
// the large model forward and backward plus building the weights from M: ligoCostFlops); other
// operators that report a cost give it in the 6N convention only, and their ELECTRA figure is
// scaled by the large model's ELECTRA/6N ratio per training step. Fixed operators cost 0 FLOPs.

import fs from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../tensor/index.ts';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.ts';
import { modelFor, type Batch, type ModelConfig } from '../models/index.ts';
import { getMethod, loadGrowSchedule, saveGrowRecord, type GrowContext, type GrowResult, type GrowSchedule } from '../grow/index.ts';
import { layoutFor, ligoCostFlops } from '../grow/ligo.ts';
import { parseLigoOptions } from '../grow/ligo-options.ts';
import { trainFlopsPerStep, type TrainFlops } from '../flops.ts';
import { GROWTH_FILE, grownDir, readJsonIfExists, writeJson, type GrowthRecord } from './layout.ts';
import type { MethodSpec } from './spec.ts';

export interface GrowInput {
  smallConfig: ModelConfig;
  smallParams: Map<string, Tensor>;
  /** Where the small weights came from (recorded in grow.json). */
  smallDir: string;
  largeConfig: ModelConfig;
  seed: number;
  tokenizerJson: unknown;
  /** The large model's training batches, for methods that learn (LiGO); opened only when needed. */
  openBatches(): { next(step: number): Batch; close(): void };
  /** Examples and tokens of one such batch (for the operator's FLOPs). */
  batchShape: { batchSize: number; seqLen: number };
}

export interface Grown {
  params: Map<string, Tensor>;
  schedule: GrowSchedule | null;
  cost: GrowthRecord;
}

export interface GrowHooks {
  log?: (line: string) => void;
  onProgress?: GrowContext['onProgress'];
}

/** The grown model of `method`, grown now or loaded from an earlier run. */
export function growOnce(legPath: string, method: MethodSpec, input: GrowInput, hooks: GrowHooks = {}): Grown {
  const done = readJsonIfExists<GrowthRecord>(join(legPath, GROWTH_FILE));
  const dir = grownDir(legPath);
  if (done) {
    hooks.log?.(`grown by ${method.name} in an earlier run (${dir})`);
    return { params: loadCheckpoint(dir).tensors, schedule: loadGrowSchedule(dir), cost: done };
  }
  hooks.log?.(`growing with ${method.name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const { result, wallSeconds } = runGrowth(method, input, hooks.onProgress);
  const model = modelFor(input.largeConfig);
  const tensors = model.flatten(model.paramsFromFlat(input.largeConfig, result.params).params);
  saveCheckpoint(dir, { config: input.largeConfig, tensors, tokenizer: input.tokenizerJson });
  const grow = getMethod(method.name);
  saveGrowRecord(dir, { method: grow.name, from: input.smallDir, seed: input.seed, options: method.options, functionPreserving: grow.functionPreserving, ...(result.cost ? { cost: result.cost } : {}) }, result.schedule);
  const flops = operatorFlops(method, input, result);
  const cost: GrowthRecord = { method: method.name, operatorSteps: result.cost?.steps ?? 0, flopsElectra: flops.electra, flopsSixN: flops.sixN, wallSeconds };
  writeJson(join(legPath, GROWTH_FILE), cost);
  return { params: new Map(tensors), schedule: result.schedule ?? null, cost };
}

function runGrowth(method: MethodSpec, input: GrowInput, onProgress?: GrowContext['onProgress']): { result: GrowResult; wallSeconds: number } {
  const grow = getMethod(method.name);
  const batches = grow.needsData ? input.openBatches() : null;
  const ctx: GrowContext = { seed: input.seed, options: method.options, ...(batches ? { batches: (step: number) => batches.next(step) } : {}), ...(onProgress ? { onProgress } : {}) };
  const started = performance.now();
  try {
    const result = grow.grow(input.smallParams, input.smallConfig, input.largeConfig, ctx);
    return { result, wallSeconds: (performance.now() - started) / 1000 };
  } finally {
    batches?.close();
  }
}

function operatorFlops(method: MethodSpec, input: GrowInput, result: GrowResult): TrainFlops {
  const cost = result.cost;
  if (!cost) return { electra: 0, sixN: 0 };
  if (method.name === 'ligo') {
    const o = parseLigoOptions(method.options);
    const layout = layoutFor(input.smallConfig, input.largeConfig, { mode: o.mode, tieInputs: o.tieInputs });
    return ligoCostFlops(layout, input.largeConfig, Array.from({ length: cost.steps }, () => input.batchShape));
  }
  const step = trainFlopsPerStep(input.largeConfig, input.batchShape);
  return { electra: (cost.flops * step.electra) / step.sixN, sixN: cost.flops };
}

/**
 * Spec-time check of a method against the configs, before anything trains: the growth runs on
 * freshly initialised small weights (fixed operators are cheap copies); learned operators run with
 * steps 0, which checks their options and layout without learning.
 */
export function checkMethod(method: MethodSpec, smallConfig: ModelConfig, largeConfig: ModelConfig, seed: number): void {
  const grow = getMethod(method.name);
  const model = modelFor(smallConfig);
  const small = new Map(model.flatten(model.initParams(smallConfig, seed)));
  grow.grow(small, smallConfig, largeConfig, { seed, options: grow.needsData ? { ...method.options, steps: 0 } : method.options });
}
