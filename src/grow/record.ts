// What `ligo grow` leaves next to a grown checkpoint besides the weights: grow.json (method,
// source, seed, options, cost, and the training instructions of GrowSchedule: MSLT's freeze,
// LEMON's lr hint, MSG's ramp length) and, for MSG, the masks in grow-masks.safetensors.
// `loadGrowSchedule(dir)` gives the GrowSchedule back for the training loop (TrainSpec.growSchedule).

import fs from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../tensor/index.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { CheckpointError, readSafetensors, writeSafetensors } from '../io/safetensors.ts';
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
