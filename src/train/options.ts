// The options of a run, in one table: each one's `ligo train` flag, its field in an experiment
// spec, its type and range, its default and its help line. The command line (src/cli/train.ts,
// src/cli/grow.ts) and the spec parser (src/experiment/spec.ts) both read it, and both refuse a
// bad value with the same reason (rangeProblem): `ligo train --lr 0` says "option '--lr <x>'
// argument '0' is invalid. must be a number in (0, 10]", a spec's "lr": 0
// "spec.large.training.lr: must be a number in (0, 10], got 0".

import { LAYER_DROP_DEFAULTS } from './layer-drop.ts';
import { TOKEN_DROP_DEFAULTS } from './token-drop.ts';
import { decayKinds } from './schedule.ts';
import { defaultEvalEvery, defaultSaveEvery } from './budget.ts';

/** The values an option takes. */
export type Range =
  | { kind: 'int'; min: number }
  /** In [min, max], or (min, max] when openMin. */
  | { kind: 'number'; min: number; max: number; openMin?: boolean }
  | { kind: 'choice'; choices: readonly string[] };

/** Where an option's field sits in an experiment spec (spec.ts). */
export type SpecPlace = 'spec' | 'training' | 'ki' | 'layerDrop' | 'tokenDrop';

export interface RunOption {
  /** The `ligo train` flag and its argument, as the help shows them: '--warmup <n>'. */
  flag: string;
  /** Its field in the spec object at `place`: 'warmupSteps' in a "training" object. */
  field: string;
  place: SpecPlace;
  range: Range;
  /**
   * Its value when not given: a constant, or one that follows the run's steps. A layerDrop or
   * tokenDrop option's default holds only when that technique is on (--layer-drop, a spec's
   * "layerDrop" object).
   */
  default: number | string | ((steps: number) => number);
  help: string;
}

const int = (min: number): Range => ({ kind: 'int', min });
const num = (min: number, max: number, openMin = false): Range => ({ kind: 'number', min, max, openMin });

/** The options shared by `ligo train` and experiment specs, keyed as run.json keeps the flags. */
export const RUN_OPTIONS = {
  steps: { flag: '--steps <n>', field: 'steps', place: 'training', range: int(1), default: 1000, help: 'optimizer updates' },
  batchSize: { flag: '--batch-size <n>', field: 'batchSize', place: 'training', range: int(1), default: 32, help: 'examples per micro-batch' },
  seqLen: { flag: '--seq-len <n>', field: 'seqLen', place: 'spec', range: int(2), default: 128, help: 'tokens per text example (brown-genre: the longest piece of a document)' },
  lr: { flag: '--lr <x>', field: 'lr', place: 'training', range: num(0, 10, true), default: 1e-4, help: 'peak learning rate' },
  warmup: { flag: '--warmup <n>', field: 'warmupSteps', place: 'training', range: int(0), default: 0, help: 'linear warmup updates' },
  schedule: { flag: '--schedule <kind>', field: 'decay', place: 'training', range: { kind: 'choice', choices: decayKinds }, default: 'linear', help: 'decay after warmup' },
  weightDecay: { flag: '--weight-decay <x>', field: 'weightDecay', place: 'training', range: num(0, 1), default: 0.01, help: 'AdamW decoupled weight decay (not on biases and LayerNorm weights)' },
  clip: { flag: '--clip <x>', field: 'clipNorm', place: 'training', range: num(0, 1e6), default: 1, help: 'global gradient-norm clip; 0 turns clipping off' },
  accum: { flag: '--accum <n>', field: 'accumSteps', place: 'training', range: int(1), default: 1, help: 'micro-batches per update (gradient accumulation)' },
  evalEvery: { flag: '--eval-every <n>', field: 'evalEvery', place: 'training', range: int(0), default: defaultEvalEvery, help: 'validate every N updates (0: only at the end) (default: steps/20, at least 10)' },
  evalBatches: { flag: '--eval-batches <n>', field: 'evalBatches', place: 'spec', range: int(1), default: 10, help: 'validation micro-batches' },
  saveEvery: { flag: '--save-every <n>', field: 'saveEvery', place: 'training', range: int(0), default: defaultSaveEvery, help: 'checkpoint every N updates (0: only at the end; Ctrl-C also saves) (default: steps/5)' },
  seed: { flag: '--seed <n>', field: 'seed', place: 'spec', range: int(0), default: 0, help: 'seed for init (also of a fresh classification head), data order, masking and dropout' },
  kiAlpha: { flag: '--ki-alpha <x>', field: 'alpha', place: 'ki', range: num(0, 1), default: 0.5, help: 'initial weight of the distillation loss' },
  kiSteps: { flag: '--ki-steps <n>', field: 'steps', place: 'ki', range: int(1), default: (steps: number) => steps, help: 'updates over which the KI weight decays to 0 (default: --steps)' },
  layerDropTheta: { flag: '--layer-drop-theta <x>', field: 'thetaBar', place: 'layerDrop', range: num(0, 1, true), default: LAYER_DROP_DEFAULTS.thetaBar, help: `keep probability the deepest layer falls to (theta-bar; default ${LAYER_DROP_DEFAULTS.thetaBar})` },
  layerDropGamma: { flag: '--layer-drop-gamma <x>', field: 'gamma', place: 'layerDrop', range: num(0, 1, true), default: LAYER_DROP_DEFAULTS.gamma, help: `how fast per update the keep probabilities fall (default ${LAYER_DROP_DEFAULTS.gamma}; larger for short runs)` },
  tokenDrop: { flag: '--token-drop <keep-ratio>', field: 'keepRatio', place: 'tokenDrop', range: num(0, 1, true), default: TOKEN_DROP_DEFAULTS.keepRatio, help: "token dropping (BERT/RoBERTa masked LM, 3 layers or more): the share of each sequence's tokens the middle layers process (the paper: 0.5)" },
} as const satisfies Record<string, RunOption>;

/** An option's default for a run of `steps` updates. */
export function defaultOf(o: { default: number | ((steps: number) => number) }, steps: number): number;
export function defaultOf(o: Pick<RunOption, 'default'>, steps: number): number | string;
export function defaultOf(o: Pick<RunOption, 'default'>, steps: number): number | string {
  return typeof o.default === 'function' ? o.default(steps) : o.default;
}

/** 'an integer >= 1', 'a number in (0, 10]', 'one of linear, cosine, constant'. */
export function rangeText(r: Range): string {
  if (r.kind === 'int') return `an integer >= ${r.min}`;
  if (r.kind === 'number') return `a number in ${r.openMin ? '(' : '['}${r.min}, ${r.max}]`;
  return `one of ${r.choices.join(', ')}`;
}

/** Why `v` (a JSON value, or valueFromText's) is not in the range: 'must be a number in (0, 10]'; null when it is. */
export function rangeProblem(r: Range, v: unknown): string | null {
  const ok =
    r.kind === 'int' ? typeof v === 'number' && Number.isSafeInteger(v) && v >= r.min
    : r.kind === 'number' ? typeof v === 'number' && Number.isFinite(v) && v <= r.max && (r.openMin ? v > r.min : v >= r.min)
    : typeof v === 'string' && r.choices.includes(v);
  return ok ? null : `must be ${rangeText(r)}`;
}

/** A command-line argument as the value rangeProblem checks: a number for numeric ranges (NaN when it is not one, or not an integer's digits). */
export function valueFromText(r: Range, text: string): number | string {
  if (r.kind === 'choice') return text;
  if (text.trim() === '' || (r.kind === 'int' && !/^\s*-?\d+\s*$/.test(text))) return NaN;
  return Number(text);
}
