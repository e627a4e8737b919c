// AdamW (Loshchilov & Hutter 2019, decoupled weight decay), the project's one optimizer, below
// both training (src/train) and growth (LiGO learns its operator with it): a list of named
// parameter tensors, each with weight decay on or off (models: off for biases and LayerNorm
// weights), global-norm gradient clipping
// as torch.nn.utils.clip_grad_norm_ does it, and the backend's fused `adamw` kernel updating
// parameters and moments in place. The moments and step count can be saved and restored
// (`state()` / `loadState()`), with PyTorch's names (`exp_avg`, `exp_avg_sq`) per parameter.
//
// The learning rate is passed to every `update` (one for all tensors, or one per tensor like
// PyTorch's parameter groups), so schedules (warmup, decay) live with the caller.

import { Tensor, getBackend, persistent } from '../tensor/index.ts';

export interface AdamWParam {
  /** A stable name (a HF key, an operator tensor's name): keys the saved state. */
  name: string;
  tensor: Tensor;
  /** Whether decoupled weight decay applies to this tensor. */
  decay: boolean;
}

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global L2 norm the gradients are clipped to; null: no clipping. */
  clipNorm: number | null;
}

export const adamwDefaults: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0, clipNorm: 1.0 };

/** Saved optimizer state: `${name}.exp_avg` and `${name}.exp_avg_sq` per parameter, and the step. */
export interface AdamWState {
  tensors: Map<string, Tensor>;
  step: number;
}

export interface StepInfo {
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  /** The factor the gradients were multiplied by (1 when not clipped). */
  gradScale: number;
}

export class AdamW {
  readonly config: AdamWConfig;
  private readonly params: AdamWParam[];
  private readonly m: Tensor[];
  private readonly v: Tensor[];
  private stepCount = 0;

  constructor(params: AdamWParam[], config: Partial<AdamWConfig> = {}) {
    this.config = { ...adamwDefaults, ...config };
    checkConfig(this.config);
    const names = new Set(params.map((p) => p.name));
    if (names.size !== params.length) throw new Error('AdamW: parameter names must be unique');
    this.params = params;
    this.m = params.map((p) => persistent(p.tensor.shape, p.tensor.dtype));
    this.v = params.map((p) => persistent(p.tensor.shape, p.tensor.dtype));
  }

  /** Number of updates taken so far. */
  get step(): number {
    return this.stepCount;
  }

  /**
   * One update with learning rate `lr` (or lr[i] for params[i]); grads[i] belongs to params[i].
   * Throws on NaN/Inf gradients.
   */
  update(grads: readonly Tensor[], lr: number | readonly number[]): StepInfo {
    if (grads.length !== this.params.length) throw new Error(`AdamW.update: ${grads.length} gradients for ${this.params.length} parameters`);
    if (typeof lr !== 'number' && lr.length !== this.params.length) throw new Error(`AdamW.update: ${lr.length} learning rates for ${this.params.length} parameters`);
    grads.forEach((g, i) => {
      const p = this.params[i]!;
      if (g.size !== p.tensor.size || g.dtype !== p.tensor.dtype) throw new Error(`AdamW.update: gradient ${g} does not match parameter ${p.name} ${p.tensor}`);
    });
    const gradNorm = globalNorm(grads);
    if (!Number.isFinite(gradNorm)) throw new RangeError(`AdamW.update: gradient norm is ${gradNorm} at step ${this.stepCount + 1}`);
    const gradScale = clipScale(gradNorm, this.config.clipNorm);
    this.stepCount++;
    const c = this.config;
    const be = getBackend();
    this.params.forEach((p, i) => {
      const wd = p.decay ? c.weightDecay : 0;
      be.adamw(p.tensor.f, grads[i]!.f, this.m[i]!.f, this.v[i]!.f, typeof lr === 'number' ? lr : lr[i]!, c.beta1, c.beta2, c.eps, wd, this.stepCount, gradScale);
    });
    return { gradNorm, gradScale };
  }

  /** Copies of the moments and the step count. */
  state(): AdamWState {
    const tensors = new Map<string, Tensor>();
    this.params.forEach((p, i) => {
      tensors.set(`${p.name}.exp_avg`, copyOf(this.m[i]!));
      tensors.set(`${p.name}.exp_avg_sq`, copyOf(this.v[i]!));
    });
    return { tensors, step: this.stepCount };
  }

  /** Restores state() output; every parameter's moments must be present with its shape. */
  loadState(state: AdamWState): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`AdamW.loadState: step must be a non-negative integer, got ${state.step}`);
    this.params.forEach((p, i) => {
      for (const [suffix, dst] of [['exp_avg', this.m[i]!], ['exp_avg_sq', this.v[i]!]] as const) {
        const key = `${p.name}.${suffix}`;
        const src = state.tensors.get(key);
        if (!src) throw new Error(`AdamW.loadState: missing ${key}`);
        if (src.size !== dst.size || src.shape.some((d, k) => d !== dst.shape[k])) throw new Error(`AdamW.loadState: ${key} has shape [${src.shape.join(', ')}], expected [${dst.shape.join(', ')}]`);
        dst.f.set(src.f);
      }
    });
    this.stepCount = state.step;
  }
}

/** sqrt(sum over tensors of sum(g^2)), accumulated in float64. */
export function globalNorm(grads: readonly Tensor[]): number {
  const be = getBackend();
  let s = 0;
  for (const g of grads) s += be.sumSquares(g.f);
  return Math.sqrt(s);
}

/** torch.nn.utils.clip_grad_norm_: scale by maxNorm / (norm + 1e-6) when that is below 1. */
export function clipScale(norm: number, maxNorm: number | null): number {
  if (maxNorm === null) return 1;
  return Math.min(1, maxNorm / (norm + 1e-6));
}

function checkConfig(c: AdamWConfig): void {
  const inUnit = (x: number) => x >= 0 && x < 1;
  if (!inUnit(c.beta1) || !inUnit(c.beta2)) throw new RangeError(`AdamW: betas must be in [0, 1), got ${c.beta1}, ${c.beta2}`);
  if (!(c.eps > 0)) throw new RangeError(`AdamW: eps must be positive, got ${c.eps}`);
  if (!(c.weightDecay >= 0)) throw new RangeError(`AdamW: weightDecay must be >= 0, got ${c.weightDecay}`);
  if (c.clipNorm !== null && !(c.clipNorm > 0)) throw new RangeError(`AdamW: clipNorm must be positive or null, got ${c.clipNorm}`);
}

function copyOf(t: Tensor): Tensor {
  return persistent(t.shape, t.dtype, t.f);
}
