// One growth method's growth, done once per experiment: the grown checkpoint (with grow.json
// and its training instructions) goes to LEG/grown and the operator's cost to LEG/growth.json,
// written last; a later run loads both instead of growing again.
//
// Cost charged to the method (docs/growth.md, "FLOPs"): the measured wall time of
// the growth call, and the operator's FLOPs in both conventions as the method reports them
// (LiGO: its steps run the large model forward and backward plus building the weights from M,
// ligoCostFlops). Fixed operators cost 0 FLOPs.

import fs from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../tensor/index.ts';
import { loadCheckpoint } from '../io/checkpoint.ts';
import type { Batch, ModelConfig } from '../models/index.ts';
import { getMethod, loadGrowSchedule, saveGrown, type GrowContext, type GrowResult, type GrowSchedule } from '../grow/index.ts';
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
  const operatorLosses: number[] = [];
  const { result, wallSeconds } = runGrowth(method, input, (step, total, loss) => {
    operatorLosses[step - 1] = loss;
    hooks.onProgress?.(step, total, loss);
  });
  const grow = getMethod(method.name);
  const { tensors } = saveGrown(dir, input.largeConfig, result, input.tokenizerJson, { method: grow.name, from: input.smallDir, seed: input.seed, options: method.options, functionPreserving: grow.functionPreserving });
  const flops = result.cost?.flops ?? { electra: 0, sixN: 0 };
  const cost: GrowthRecord = { method: method.name, operatorSteps: result.cost?.steps ?? 0, flopsElectra: flops.electra, flopsSixN: flops.sixN, wallSeconds, ...(operatorLosses.length > 0 ? { operatorLosses } : {}), ...(result.selection ? { operatorSelection: result.selection } : {}) };
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
