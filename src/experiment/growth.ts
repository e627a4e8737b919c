// One growth method's growth, done once per experiment: the grown checkpoint goes to LEG/grown
// with grow.json (src/grow/record.ts: provenance and cost, written last); a later run loads it
// instead of growing again.
//
// Cost charged to the method (docs/growth.md, "FLOPs"): the measured wall time of the growth
// call, and the operator's FLOPs in both conventions as the method reports them (LiGO: its steps
// run the large model forward and backward plus building the weights from M, ligoCostFlops).
// Fixed operators cost 0 FLOPs. Run directories made before grow.json held the cost keep it in
// LEG/growth.json; legGrowth reads that file where it exists, so their reports stay as they were.

import { join } from 'node:path';
import fs from 'node:fs';
import type { Tensor } from '../tensor/index.ts';
import { loadCheckpoint } from '../io/index.ts';
import type { Batch, ModelConfig } from '../models/index.ts';
import { getMethod, loadGrowSchedule, readGrowRecord, runGrowth, saveGrown, type GrowContext, type GrowData, type GrowSchedule, type GrowthCost } from '../grow/index.ts';
import { GROWTH_FILE, grownDir, readJsonIfExists } from './layout.ts';
import type { MethodSpec } from './spec.ts';

export interface GrowInput {
  smallConfig: ModelConfig;
  smallParams: Map<string, Tensor>;
  /** The small checkpoint grown, and its training step (recorded in grow.json). */
  smallDir: string;
  smallStep: number | null;
  largeConfig: ModelConfig;
  seed: number;
  tokenizerJson: unknown;
  /** The data a learning method's batches come from, their size and length (recorded in grow.json). */
  data: GrowData;
  /** The large model's training batches, for methods that learn (LiGO); opened only when needed. */
  openBatches(): { next(step: number): Batch; close(): void };
}

export interface Grown {
  params: Map<string, Tensor>;
  schedule: GrowSchedule | null;
  cost: GrowthCost;
}

export interface GrowHooks {
  log?: (line: string) => void;
  onProgress?: GrowContext['onProgress'];
}

/** A leg's growth cost: growth.json in run directories made before grow.json held it, else the grown checkpoint's grow.json; null before the growth is done. */
export function legGrowth(legPath: string): GrowthCost | null {
  const legacy = readJsonIfExists<GrowthCost>(join(legPath, GROWTH_FILE));
  if (legacy) return legacy;
  const record = readGrowRecord(grownDir(legPath));
  return record && record.code !== null ? record.cost : null; // grow.json without `code`: written before the cost moved there
}

/** The grown model of `method`, grown now or loaded from an earlier run. */
export function growOnce(legPath: string, method: MethodSpec, input: GrowInput, hooks: GrowHooks = {}): Grown {
  const done = legGrowth(legPath);
  const dir = grownDir(legPath);
  if (done) {
    hooks.log?.(`grown by ${method.name} in an earlier run (${dir})`);
    return { params: loadCheckpoint(dir).tensors, schedule: loadGrowSchedule(dir), cost: done };
  }
  hooks.log?.(`growing with ${method.name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const grow = getMethod(method.name);
  const batches = grow.needsData ? input.openBatches() : null;
  const ctx: GrowContext = { seed: input.seed, options: method.options, ...(batches ? { batches: (step: number) => batches.next(step) } : {}), ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}) };
  let grown;
  try {
    grown = runGrowth(grow, input.smallParams, input.smallConfig, input.largeConfig, ctx);
  } finally {
    batches?.close();
  }
  const source = { from: input.smallDir, fromCheckpoint: input.smallDir, fromStep: input.smallStep, seed: input.seed, optionsGiven: method.options, tokenizerJson: input.tokenizerJson, ...(grow.needsData ? input.data : { data: null, batchSize: null, seqLen: null }) };
  const { tensors } = saveGrown(dir, grow, input.largeConfig, grown, source);
  return { params: new Map(tensors), schedule: grown.result.schedule ?? null, cost: grown.cost };
}
