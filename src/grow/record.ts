// What `ligo grow` leaves next to a grown checkpoint besides the weights: grow.json (method,
// source, seed, options, cost, and the training instructions of GrowSchedule: MSLT's freeze,
// LEMON's lr hint, MSG's ramp length) and, for MSG, the masks in grow-masks.safetensors.
// `loadGrowSchedule(dir)` gives the GrowSchedule back for the training loop (TrainSpec.growSchedule).
// `saveGrown` writes the whole grown checkpoint directory: weights, config, tokenizer, grow.json,
// and the method's artifacts (LiGO's operator) — the one place both `ligo grow` and experiments use.

import fs from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../tensor/index.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { CheckpointError, readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { CONFIG_FILE, MODEL_FILE, TOKENIZER_FILE, saveCheckpoint } from '../io/checkpoint.ts';
import { modelFor, type ModelConfig } from '../models/index.ts';
import type { GrowResult, GrowSchedule } from './types.ts';

export const GROW_FILE = 'grow.json';
export const MASKS_FILE = 'grow-masks.safetensors';

export interface GrowRecord {
  method: string;
  from: string;
  seed: number;
  options: Record<string, unknown>;
  functionPreserving: boolean;
  cost?: GrowResult['cost'];
  schedule?: { freeze?: GrowSchedule['freeze']; maskRamp?: { steps: number; file: string }; lrHint?: string };
}

/** Writes grow.json (and the MSG masks) into `dir`. */
export function saveGrowRecord(dir: string, record: Omit<GrowRecord, 'schedule'>, schedule?: GrowSchedule): void {
  const out: GrowRecord = { ...record };
  if (schedule) {
    out.schedule = {
      ...(schedule.freeze ? { freeze: schedule.freeze } : {}),
      ...(schedule.lrHint ? { lrHint: schedule.lrHint } : {}),
      ...(schedule.maskRamp ? { maskRamp: { steps: schedule.maskRamp.steps, file: MASKS_FILE } } : {}),
    };
    if (schedule.maskRamp) writeSafetensors(join(dir, MASKS_FILE), schedule.maskRamp.masks);
  }
  writeFileAtomic(join(dir, GROW_FILE), `${JSON.stringify(out, null, 2)}\n`);
}

/**
 * Saves a grown model as a checkpoint directory (tied weights once, as HF writes them) with its
 * grow.json, MSG masks and method artifacts; returns the flattened tensors and the files written.
 */
export function saveGrown(dir: string, large: ModelConfig, result: GrowResult, tokenizer: unknown | null, record: Omit<GrowRecord, 'schedule' | 'cost'>): { tensors: [string, Tensor][]; files: string[] } {
  const model = modelFor(large);
  const tensors = model.flatten(model.paramsFromFlat(large, result.params).params);
  saveCheckpoint(dir, { config: large, tensors, ...(tokenizer !== null ? { tokenizer } : {}) });
  saveGrowRecord(dir, { ...record, ...(result.cost ? { cost: result.cost } : {}) }, result.schedule);
  for (const a of result.artifacts ?? []) a.write(join(dir, a.file));
  const files = [MODEL_FILE, CONFIG_FILE, ...(tokenizer !== null ? [TOKENIZER_FILE] : []), GROW_FILE, ...(result.schedule?.maskRamp ? [MASKS_FILE] : []), ...(result.artifacts ?? []).map((a) => a.file)];
  return { tensors, files };
}

/** The GrowSchedule saved with a grown checkpoint, or null when `dir` holds none. */
export function loadGrowSchedule(dir: string): GrowSchedule | null {
  const path = join(dir, GROW_FILE);
  if (!fs.existsSync(path)) return null;
  let record: GrowRecord;
  try {
    record = JSON.parse(fs.readFileSync(path, 'utf8')) as GrowRecord;
  } catch (e) {
    throw new CheckpointError(`${path}: invalid JSON (${(e as Error).message})`);
  }
  const s = record.schedule;
  if (!s) return null;
  const masks: Map<string, Tensor> | null = s.maskRamp ? readSafetensors(join(dir, s.maskRamp.file)).tensors : null;
  return {
    ...(s.freeze ? { freeze: s.freeze } : {}),
    ...(s.lrHint ? { lrHint: s.lrHint } : {}),
    ...(s.maskRamp && masks ? { maskRamp: { masks, steps: s.maskRamp.steps } } : {}),
  };
}
