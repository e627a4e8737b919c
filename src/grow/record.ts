// What a grown checkpoint records besides its weights: grow.json, the one record of a growth
// (docs/growth.md, "What a grown checkpoint records"), written by `ligo grow` and by experiments
// alike (saveGrown):
//   - provenance: the method, the small checkpoint it grew (as given, resolved, and its training
//     step), the seed, every option as the method ran it (defaults filled) and as given, the
//     target config, the data, tokenizer, batch size and sequence length the operator learned on
//     (null for fixed operators, which read no data), and the code version;
//   - cost: the growth's cost (growthCost below): the operator's FLOPs in both conventions as the
//     method counts them (LiGO: ligoCostFlops; fixed operators 0), the wall time of the whole
//     growth call, the operator's steps, a learned operator's loss per step and keepBest's choice;
//   - schedule: the training instructions of GrowSchedule (MSLT's freeze, LEMON's lr hint, MSG's
//     ramp length), with MSG's masks in grow-masks.safetensors.
// grow.json is written last, after the weights and the method's artifacts, so its presence marks
// a complete growth. readGrowRecord reads it back, also in the form older versions wrote (cost
// as { steps, wallSeconds, flops: { electra, sixN } }, options as given, no provenance);
// loadGrowSchedule gives the GrowSchedule back for the training loop (TrainSpec.growSchedule).

import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Tensor } from '../tensor/index.ts';
import { CONFIG_FILE, CheckpointError, MODEL_FILE, TOKENIZER_FILE, codeVersion, readSafetensors, saveCheckpoint, writeFileAtomic, writeSafetensors, type CodeVersion } from '../io/index.ts';
import { modelFor, type ModelConfig } from '../models/index.ts';
import type { Cost } from '../flops.ts';
import { COMPOSE } from './compose.ts';
import { getMethod } from './registry.ts';
import type { GrowContext, GrowMethod, GrowResult, GrowSchedule } from './types.ts';

export const GROW_FILE = 'grow.json';
export const MASKS_FILE = 'grow-masks.safetensors';

/** What a growth cost: the operator's FLOPs, the growth call's wall time, and what the operator did. */
export interface GrowthCost extends Cost {
  operatorSteps: number;
  /** A learned operator's training loss per step (the reports draw it); absent for fixed operators. */
  operatorLosses?: number[];
  /** LiGO with keepBest: the held-out losses measured and the step whose operator was used. */
  operatorSelection?: NonNullable<GrowResult['selection']>;
}

/** A tokenizer's identity: its kind, size, and a hash of its tokenizer.json (equal hashes: the same token ids). */
export interface TokenizerId {
  kind: string;
  vocabSize: number;
  sha256: string;
}

/** Where the operator's training batches came from; nulls for methods that read no data. */
export interface GrowData {
  /** A built-in corpus or dataset name, or the user's files (absolute paths). */
  data: string | string[] | null;
  batchSize: number | null;
  seqLen: number | null;
}

export interface GrowRecord extends GrowData {
  method: string;
  /** The small model as given (a checkpoint or run directory). */
  from: string;
  /** The checkpoint directory grown, absolute; null in records written before it was kept. */
  fromCheckpoint: string | null;
  /** That checkpoint's training step (its state.json), or null for a checkpoint saved outside training. */
  fromStep: number | null;
  seed: number;
  /** Every option as the method ran with it, defaults filled. */
  options: Record<string, unknown>;
  /** The options given (--option, the spec's). */
  optionsGiven: Record<string, unknown>;
  functionPreserving: boolean;
  /** The large model's config (also the checkpoint's config.json). */
  target: ModelConfig | null;
  tokenizer: TokenizerId | null;
  code: CodeVersion | null;
  cost: GrowthCost;
  schedule?: { freeze?: GrowSchedule['freeze']; maskRamp?: { steps: number; file: string }; lrHint?: string };
}

/** The caller's part of a record: what the growth itself does not know. */
export interface GrowSource extends GrowData {
  from: string;
  fromCheckpoint: string;
  fromStep: number | null;
  seed: number;
  optionsGiven: Record<string, unknown>;
  /** The small checkpoint's tokenizer.json (null: none, an image model). */
  tokenizerJson: unknown | null;
}

/** GrowData.data of a dataset name or the user's files (OwnCorpus: paths made absolute from its baseDir). */
export function dataRecord(data: string | { data: string[]; baseDir: string }): string | string[] {
  return typeof data === 'string' ? data : data.data.map((p) => resolve(data.baseDir, p));
}

export function tokenizerId(json: unknown): TokenizerId {
  const t = json as { model?: { type?: string; vocab?: Record<string, number> | unknown[] }; added_tokens?: { id: number }[] };
  const vocab = t.model?.vocab;
  const ids = [...(Array.isArray(vocab) ? vocab.map((_, i) => i) : Object.values(vocab ?? {})), ...(t.added_tokens ?? []).map((a) => a.id)];
  return { kind: t.model?.type ?? 'unknown', vocabSize: ids.length > 0 ? Math.max(...ids) + 1 : 0, sha256: createHash('sha256').update(JSON.stringify(json)).digest('hex') };
}

/** Every option of `method` as it runs with `given`: what the method reports, else its listed defaults with `given` applied (per part for 'A+B'). */
export function resolvedOptions(method: GrowMethod, given: Record<string, unknown>, result?: GrowResult): Record<string, unknown> {
  if (result?.options) return result.options;
  if (method.name.includes(COMPOSE)) {
    return Object.fromEntries(method.name.split(COMPOSE).map((part) => [part, resolvedOptions(getMethod(part), (given[part] ?? {}) as Record<string, unknown>)]));
  }
  const defaults = Object.fromEntries(Object.entries(method.options ?? {}).map(([k, o]) => [k, o.default]));
  return { ...defaults, ...given };
}

/** Runs `method`, timing the whole call and keeping the operator's loss per step: the result and what the growth cost. */
export function runGrowth(method: GrowMethod, small: Map<string, Tensor>, smallConfig: ModelConfig, largeConfig: ModelConfig, ctx: GrowContext): { result: GrowResult; cost: GrowthCost } {
  const operatorLosses: number[] = [];
  const onProgress: GrowContext['onProgress'] = (step, total, loss) => {
    operatorLosses[step - 1] = loss;
    ctx.onProgress?.(step, total, loss);
  };
  const started = performance.now();
  const result = method.grow(small, smallConfig, largeConfig, { ...ctx, onProgress });
  const wallSeconds = (performance.now() - started) / 1000;
  const cost: GrowthCost = {
    flopsElectra: result.cost?.flopsElectra ?? 0,
    flopsSixN: result.cost?.flopsSixN ?? 0,
    wallSeconds,
    operatorSteps: result.cost?.steps ?? 0,
    ...(operatorLosses.length > 0 ? { operatorLosses } : {}),
    ...(result.selection ? { operatorSelection: result.selection } : {}),
  };
  return { result, cost };
}

function scheduleRecord(dir: string, schedule: GrowSchedule | undefined): Pick<GrowRecord, 'schedule'> {
  if (!schedule) return {};
  if (schedule.maskRamp) writeSafetensors(join(dir, MASKS_FILE), schedule.maskRamp.masks);
  return {
    schedule: {
      ...(schedule.freeze ? { freeze: schedule.freeze } : {}),
      ...(schedule.lrHint ? { lrHint: schedule.lrHint } : {}),
      ...(schedule.maskRamp ? { maskRamp: { steps: schedule.maskRamp.steps, file: MASKS_FILE } } : {}),
    },
  };
}

/** Writes grow.json (and the MSG masks) into `dir`. */
export function saveGrowRecord(dir: string, record: Omit<GrowRecord, 'schedule'>, schedule?: GrowSchedule): void {
  const out: GrowRecord = { ...record, ...scheduleRecord(dir, schedule) };
  writeFileAtomic(join(dir, GROW_FILE), `${JSON.stringify(out, null, 2)}\n`);
}

/**
 * Saves a grown model as a checkpoint directory (tied weights once, as HF writes them), the
 * method's artifacts, the MSG masks, and grow.json last; returns the flattened tensors and the
 * files written.
 */
export function saveGrown(dir: string, method: GrowMethod, large: ModelConfig, grown: { result: GrowResult; cost: GrowthCost }, source: GrowSource): { tensors: [string, Tensor][]; files: string[] } {
  const { result, cost } = grown;
  const model = modelFor(large);
  const tensors = model.flatten(model.paramsFromFlat(large, result.params).params);
  const tokenizer = source.tokenizerJson;
  saveCheckpoint(dir, { config: large, tensors, ...(tokenizer !== null ? { tokenizer } : {}) });
  for (const a of result.artifacts ?? []) a.write(join(dir, a.file));
  const { tokenizerJson: _json, ...where } = source;
  saveGrowRecord(dir, { method: method.name, ...where, fromCheckpoint: resolve(source.fromCheckpoint), options: resolvedOptions(method, source.optionsGiven, result), functionPreserving: method.functionPreserving, target: large, tokenizer: tokenizer !== null ? tokenizerId(tokenizer) : null, code: codeVersion(), cost }, result.schedule);
  const files = [MODEL_FILE, CONFIG_FILE, ...(tokenizer !== null ? [TOKENIZER_FILE] : []), ...(result.artifacts ?? []).map((a) => a.file), ...(result.schedule?.maskRamp ? [MASKS_FILE] : []), GROW_FILE];
  return { tensors, files };
}

interface LegacyCost {
  steps: number;
  wallSeconds: number;
  flops: { electra: number; sixN: number };
}

/** grow.json of `dir`, in the current form (older records: cost converted, options as given, unknown provenance null); null when there is none. */
export function readGrowRecord(dir: string): GrowRecord | null {
  const path = join(dir, GROW_FILE);
  if (!fs.existsSync(path)) return null;
  let raw: Partial<GrowRecord> & { cost?: GrowthCost | LegacyCost; method: string; from: string; seed: number; options: Record<string, unknown> };
  try {
    raw = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CheckpointError(`${path}: invalid JSON (${(e as Error).message})`);
  }
  const c = raw.cost;
  const cost: GrowthCost = !c ? { flopsElectra: 0, flopsSixN: 0, wallSeconds: 0, operatorSteps: 0 } : 'flops' in c ? { flopsElectra: c.flops.electra, flopsSixN: c.flops.sixN, wallSeconds: c.wallSeconds, operatorSteps: c.steps } : c;
  return {
    ...raw,
    fromCheckpoint: raw.fromCheckpoint ?? null,
    fromStep: raw.fromStep ?? null,
    optionsGiven: raw.optionsGiven ?? raw.options,
    functionPreserving: raw.functionPreserving ?? false,
    target: raw.target ?? null,
    data: raw.data ?? null,
    batchSize: raw.batchSize ?? null,
    seqLen: raw.seqLen ?? null,
    tokenizer: raw.tokenizer ?? null,
    code: raw.code ?? null,
    cost,
  };
}

/** The GrowSchedule saved with a grown checkpoint, or null when `dir` holds none. */
export function loadGrowSchedule(dir: string): GrowSchedule | null {
  const s = readGrowRecord(dir)?.schedule;
  if (!s) return null;
  const masks: Map<string, Tensor> | null = s.maskRamp ? readSafetensors(join(dir, s.maskRamp.file)).tensors : null;
  return {
    ...(s.freeze ? { freeze: s.freeze } : {}),
    ...(s.lrHint ? { lrHint: s.lrHint } : {}),
    ...(s.maskRamp && masks ? { maskRamp: { masks, steps: s.maskRamp.steps } } : {}),
  };
}
