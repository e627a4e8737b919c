// LiGO's settings (GrowContext.options), their defaults and validation. The operator's optimizer
// is explicit here because the authors' defaults are pitfalls (GROWTH.md): their example command
// keeps a 10,000-step warmup, so during the 100 operator steps the learning rate never exceeds
// 2e-6, and it applies weight decay 0.1 to the operator's coefficients. Defaults chosen here:
//   steps 100 (the paper), lr 1e-3 with a 5-step linear warmup then constant (100 steps is too
//   few to decay over; Adam's first steps are the noisiest), weight decay 0 (decay would pull
//   the depth/width coefficients towards zero, i.e. away from the identity/stacking they start
//   at), clip 1.0 and eps 1e-6 (the authors'), betas (0.9, 0.999).
//   mode 'code' and tied inputs: what the authors' code ran for the paper's results; it learns
//   about a third of 'full''s parameters and keeps every old neuron exactly.
//   depth 'stackbert_noisy', width 'rand': the authors' recommended pair. No dropout while the
//   operator learns (a noise-free loss for few steps; `dropout: true` uses the config's).
// `initFrom` starts from a fixed operator that LiGO contains (Proposition 1): 'stackbert' and
// 'interpolation' set the depth init to the exact one-hot; 'net2net' sets every width matrix to
// Net2Net's map (net2net.ts: copies, input sides divided by copy counts) and the depth init to
// 'stack' (Net2Net stacks when it deepens), which needs mode 'full' and untied inputs.

import { GrowError } from './structure.ts';
import { depthInits, widthInits, type DepthInit, type WidthInit } from './ligo-init.ts';
import type { LigoMode } from './ligo-operator.ts';
import type { MethodOption } from './types.ts';

export type InitFrom = 'stackbert' | 'interpolation' | 'net2net';
export const initFroms: readonly InitFrom[] = ['stackbert', 'interpolation', 'net2net'];

export interface LigoOptions {
  steps: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  eps: number;
  beta1: number;
  beta2: number;
  mode: LigoMode;
  tieInputs: boolean;
  depthInit: DepthInit;
  widthInit: WidthInit;
  /** 'stackbert_noisy''s U(0, noise). */
  noise: number;
  initFrom: InitFrom | null;
  /** Hidden dropout (the large config's) in the operator's training passes. */
  dropout: boolean;
}

export const ligoDefaults: LigoOptions = {
  steps: 100,
  lr: 1e-3,
  warmupSteps: 5,
  weightDecay: 0,
  clipNorm: 1.0,
  eps: 1e-6,
  beta1: 0.9,
  beta2: 0.999,
  mode: 'code',
  tieInputs: true,
  depthInit: 'stackbert_noisy',
  widthInit: 'rand',
  noise: 0.03,
  initFrom: null,
  dropout: false,
};

type Check = (v: unknown) => boolean;
const int0: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const positive: Check = (v) => typeof v === 'number' && v > 0 && Number.isFinite(v);
const nonNegative: Check = (v) => typeof v === 'number' && v >= 0 && Number.isFinite(v);
const unit: Check = (v) => typeof v === 'number' && v >= 0 && v < 1;
const bool: Check = (v) => typeof v === 'boolean';
const oneOf = (xs: readonly unknown[]): Check => (v) => xs.includes(v);

const rules: Record<keyof LigoOptions, [Check, string]> = {
  steps: [int0, 'a non-negative integer'],
  lr: [positive, 'a positive number'],
  warmupSteps: [int0, 'a non-negative integer'],
  weightDecay: [nonNegative, 'a non-negative number'],
  clipNorm: [positive, 'a positive number'],
  eps: [positive, 'a positive number'],
  beta1: [unit, 'in [0, 1)'],
  beta2: [unit, 'in [0, 1)'],
  mode: [oneOf(['full', 'code']), "'full' or 'code'"],
  tieInputs: [bool, 'true or false'],
  depthInit: [oneOf(depthInits), depthInits.join(', ')],
  widthInit: [oneOf(widthInits), widthInits.join(', ')],
  noise: [nonNegative, 'a non-negative number'],
  initFrom: [(v) => v === null || initFroms.includes(v as InitFrom), `null or one of ${initFroms.join(', ')}`],
  dropout: [bool, 'true or false'],
};

const meaning: Record<keyof LigoOptions, string> = {
  steps: "operator training steps on the large model's loss (0: use the initial operator)",
  lr: "the operator's peak learning rate (AdamW)",
  warmupSteps: 'linear warmup steps, then a constant learning rate',
  weightDecay: "AdamW weight decay on the operator's coefficients",
  clipNorm: 'global gradient-norm clip',
  eps: "AdamW's epsilon",
  beta1: "AdamW's beta1",
  beta2: "AdamW's beta2",
  mode: "'code': the authors' code (learns only the new rows, every old neuron kept exactly); 'full': the paper's whole width matrices",
  tieInputs: 'input sides share the width matrix of the output side that feeds them (false: their own copies)',
  depthInit: 'initial depth coefficients',
  widthInit: 'initial new width rows',
  noise: "stackbert_noisy's U(0, noise) off the one-hot",
  initFrom: 'start from the fixed operator LiGO contains (Proposition 1); net2net needs mode full and tieInputs false',
  dropout: "hidden dropout (the large config's) while the operator learns",
};

/** LiGO's options with defaults and meaning, for help texts (`ligo methods`). */
export const ligoOptionList: readonly MethodOption[] = (Object.keys(rules) as (keyof LigoOptions)[]).map((name) => ({ name, default: ligoDefaults[name], description: `${meaning[name]} (${rules[name][1]})` }));

/** Defaults with `raw` applied; throws naming the option and what it must be. */
export function parseLigoOptions(raw: Record<string, unknown> = {}): LigoOptions {
  const out: Record<string, unknown> = { ...ligoDefaults };
  for (const [k, v] of Object.entries(raw)) {
    const rule = rules[k as keyof LigoOptions];
    if (!rule) throw new GrowError(`ligo: unknown option '${k}'; known options: ${Object.keys(rules).join(', ')}`);
    if (v === undefined) continue;
    if (!rule[0](v)) throw new GrowError(`ligo: option ${k} must be ${rule[1]}, got ${JSON.stringify(v)}`);
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

/** Linear warmup from lr / warmupSteps to lr, then constant. */
export function ligoLr(o: LigoOptions, step: number): number {
  return step < o.warmupSteps ? (o.lr * (step + 1)) / o.warmupSteps : o.lr;
}
