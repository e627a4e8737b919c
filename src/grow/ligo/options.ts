// LiGO's settings (GrowContext.options): one table, `ligoOptionDefs`, gives every option its
// default, a one-line meaning and what a valid value is; the defaults, the validation and the
// CLI's listing (GrowMethod.options) all come from it.
//
// The operator's optimizer is explicit here because the authors' defaults are pitfalls
// (docs/growth.md): their example command keeps a 10,000-step warmup, so during the 100 operator
// steps the learning rate never exceeds 2e-6, and it applies weight decay 0.1 to the operator's
// coefficients. Defaults chosen here:
//   steps 100 (the paper), lr 1e-3 for both the width and the depth coefficients (widthLr /
//   depthLr set one group apart) with a 5-step linear warmup then constant (100 steps is too few
//   to decay over; Adam's first steps are the noisiest), weight decay 0 (decay would pull the
//   depth/width coefficients towards zero, i.e. away from the identity/stacking they start at),
//   clip 1.0 and eps 1e-6 (the authors'), betas (0.9, 0.999).
//   batchSize / seqLen: the operator's own batch, cut from the batches it is given (by default
//   those batches as they come: the large model's training batch), so its cost can be set apart
//   from the large model's budget.
//   dropout on: the operator learns under the dropout every training leg of the large model
//   uses (the model's trainDropout: the config's hidden dropout, resid_pdrop for GPT-2);
//   `dropout: false` learns on the noise-free loss.
//   mode 'code' and tied inputs: what the authors' code ran for the paper's results; it learns
//   about a third of 'full''s parameters and keeps every old neuron exactly.
//   order 'depth-first': the authors' code (depth mix, then width matrices per large layer);
//   'width-first' is the paper's equations (width matrices per small layer, then the depth mix).
//   depth 'stackbert_noisy', width 'rand': the authors' recommended pair.
//   schedule 'constant' after the warmup ('linear' decays to 0 at the last step).
//   keepBest off: the operator after its last step is used. On, the first heldOutBatches
//   operator-sized batches are set apart (never trained on), the operator's loss on them is
//   measured before training, every evalEvery steps and after the last, and the best operator
//   seen is the one used (so a setting that makes it worse than where it started is noticed);
//   those forward passes are charged to its cost.
// `initFrom` starts from a fixed operator that LiGO contains (Proposition 1): 'stackbert' and
// 'interpolation' set the depth init to the exact one-hot; 'net2net' sets every width matrix to
// Net2Net's map (net2net.ts: copies, input sides divided by copy counts) and the depth init to
// 'stack' (Net2Net stacks when it deepens), which needs mode 'full' and untied inputs.

import { GrowError } from '../structure.ts';
import { depthInits, widthInits, type DepthInit, type WidthInit } from './init.ts';
import { ligoOrders, type LigoMode, type LigoOrder } from './operator.ts';
import type { MethodOption } from '../types.ts';

export type InitFrom = 'stackbert' | 'interpolation' | 'net2net';
export const initFroms: readonly InitFrom[] = ['stackbert', 'interpolation', 'net2net'];

export interface LigoOptions {
  steps: number;
  lr: number;
  widthLr: number | null;
  depthLr: number | null;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  eps: number;
  beta1: number;
  beta2: number;
  batchSize: number | null;
  seqLen: number | null;
  dropout: boolean;
  mode: LigoMode;
  order: LigoOrder;
  tieInputs: boolean;
  depthInit: DepthInit;
  widthInit: WidthInit;
  noise: number;
  initFrom: InitFrom | null;
  schedule: LigoSchedule;
  keepBest: boolean;
  heldOutBatches: number;
  evalEvery: number;
}

export type LigoSchedule = 'constant' | 'linear';
export const ligoSchedules: readonly LigoSchedule[] = ['constant', 'linear'];

type Check = (v: unknown) => boolean;
const int0: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const int1: Check = (v) => Number.isInteger(v) && (v as number) >= 1;
const positive: Check = (v) => typeof v === 'number' && v > 0 && Number.isFinite(v);
const nonNegative: Check = (v) => typeof v === 'number' && v >= 0 && Number.isFinite(v);
const unit: Check = (v) => typeof v === 'number' && v >= 0 && v < 1;
const bool: Check = (v) => typeof v === 'boolean';
const oneOf = (xs: readonly unknown[]): Check => (v) => xs.includes(v);
const orNull = (c: Check): Check => (v) => v === null || c(v);
const quoted = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');

const def = <T>(value: T, check: Check, expected: string, meaning: string): MethodOption<T> & { check: Check } => ({ default: value, expected, meaning, check });

/** Every LiGO option: default, what a valid value is, one-line meaning (GrowMethod.options). */
export const ligoOptionDefs: { readonly [K in keyof LigoOptions]: MethodOption<LigoOptions[K]> & { check: Check } } = {
  steps: def(100, int0, 'a non-negative integer', 'operator training steps on the large model loss (0: the initial operator)'),
  lr: def(1e-3, positive, 'a positive number', 'peak learning rate of the operator (width and depth coefficients)'),
  widthLr: def<number | null>(null, orNull(positive), 'null or a positive number', "peak learning rate of the width matrices (null: lr)"),
  depthLr: def<number | null>(null, orNull(positive), 'null or a positive number', 'peak learning rate of the depth coefficients (null: lr)'),
  warmupSteps: def(5, int0, 'a non-negative integer', 'linear warmup steps, then the learning rate stays constant'),
  weightDecay: def(0, nonNegative, 'a non-negative number', "AdamW's decoupled weight decay on the operator's coefficients"),
  clipNorm: def(1.0, positive, 'a positive number', 'global gradient norm the operator gradients are clipped to'),
  eps: def(1e-6, positive, 'a positive number', "AdamW's epsilon"),
  beta1: def(0.9, unit, 'in [0, 1)', "AdamW's first-moment decay"),
  beta2: def(0.999, unit, 'in [0, 1)', "AdamW's second-moment decay"),
  batchSize: def<number | null>(null, orNull(int1), 'null or a positive integer', 'examples per operator step, gathered from the given batches (null: the given batch size)'),
  seqLen: def<number | null>(null, orNull(int1), 'null or a positive integer', 'tokens per example in operator steps, cut from the given batches (null: their length; text only)'),
  dropout: def(true, bool, 'true or false', "the large config's training dropout during operator steps (false: none)"),
  mode: def<LigoMode>('code', oneOf(['full', 'code']), "'full' or 'code'", "'code': old neurons copied exactly, only new rows learned (the authors' code); 'full': whole width matrices learned"),
  order: def<LigoOrder>('depth-first', oneOf(ligoOrders), quoted(ligoOrders), "'depth-first': mix layers, then width per large layer (authors' code); 'width-first': width per small layer, then mix (the paper)"),
  tieInputs: def(true, bool, 'true or false', "input sides reuse the producing output side's width matrix (false: each gets its own)"),
  depthInit: def<DepthInit>('stackbert_noisy', oneOf(depthInits), quoted(depthInits), "depth coefficients' start: stacking plus U(0, noise) renormalised, exact stacking, or exact interpolation"),
  widthInit: def<WidthInit>('rand', oneOf(widthInits), quoted(widthInits), "new width rows' start: U(0, 1) rows summing to 1, or a copy of a random old neuron"),
  noise: def(0.03, nonNegative, 'a non-negative number', "upper end of 'stackbert_noisy''s U(0, noise) depth noise"),
  initFrom: def<InitFrom | null>(null, orNull(oneOf(initFroms)), `null or one of ${quoted(initFroms)}`, 'start exactly at a fixed operator LiGO contains (Proposition 1); sets the inits it needs'),
  schedule: def<LigoSchedule>('constant', oneOf(ligoSchedules), quoted(ligoSchedules), "learning rate after the warmup: constant, or linear decay to 0 at the last step"),
  keepBest: def(false, bool, 'true or false', 'measure the operator on held-out batches (before, every evalEvery steps, after) and use the best one seen'),
  heldOutBatches: def(2, int1, 'a positive integer', 'keepBest: operator-sized batches set apart before training, never trained on'),
  evalEvery: def(10, int1, 'a positive integer', 'keepBest: steps between held-out measurements'),
};

export const ligoDefaults = Object.fromEntries(Object.entries(ligoOptionDefs).map(([k, d]) => [k, d.default])) as unknown as LigoOptions;

/** Defaults with `raw` applied; throws naming the option and what it must be. */
export function parseLigoOptions(raw: Record<string, unknown> = {}): LigoOptions {
  const out: Record<string, unknown> = { ...ligoDefaults };
  for (const [k, v] of Object.entries(raw)) {
    const d = ligoOptionDefs[k as keyof LigoOptions];
    if (!d) throw new GrowError(`ligo: unknown option '${k}'; known options: ${Object.keys(ligoOptionDefs).join(', ')}`);
    if (v === undefined) continue;
    if (!d.check(v)) throw new GrowError(`ligo: option ${k} must be ${d.expected}, got ${JSON.stringify(v)}`);
    out[k] = v;
  }
  return applyInitFrom(out as unknown as LigoOptions, raw);
}

function applyInitFrom(o: LigoOptions, raw: Record<string, unknown>): LigoOptions {
  switch (o.initFrom) {
    case null:
      return o;
    case 'stackbert':
      return { ...o, depthInit: 'stack' };
    case 'interpolation':
      return { ...o, depthInit: 'interlace' };
    case 'net2net':
      if (raw.mode === 'code' || raw.tieInputs === true) throw new GrowError("ligo: initFrom 'net2net' needs mode 'full' and tieInputs false (Net2Net divides the input side by copy counts)");
      return { ...o, mode: 'full', tieInputs: false, depthInit: 'stack' };
  }
}

export type LigoParamGroup = 'width' | 'depth';

/** A group's learning rate at `step`: linear warmup from lr / warmupSteps to its peak, then constant or decaying linearly to 0 at step `steps`. */
export function ligoLr(o: LigoOptions, group: LigoParamGroup, step: number): number {
  const peak = (group === 'width' ? o.widthLr : o.depthLr) ?? o.lr;
  if (step < o.warmupSteps) return (peak * (step + 1)) / o.warmupSteps;
  return o.schedule === 'constant' ? peak : (peak * (o.steps - step)) / Math.max(1, o.steps - o.warmupSteps);
}
