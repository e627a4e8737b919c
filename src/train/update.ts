// The optimizer side of a training step: which parameters train at a given update, gradient
// accumulation over micro-batches, global-norm clipping, and AdamW (src/optim/adamw.ts).
//
// Weight decay is off for rank-1 tensors (biases and LayerNorm weights, HF's no_decay rule) and
// on for the rest. Parameters frozen by a GrowSchedule (MSLT: the copied lower layers) get no
// gradient and no update before `untilStep`: they are a second AdamW group whose moments and
// step count start when they join, as PyTorch's per-parameter state does, so they stay
// bit-identical while frozen (no weight decay, no momentum). Clipping uses the norm of all
// gradients of the update, across groups (torch.nn.utils.clip_grad_norm_).

import { BinaryOp, UnaryOp, getBackend, keep, zeros, type Tensor } from '../tensor/index.ts';
import { AdamW, clipScale, globalNorm, type AdamWConfig } from '../optim/index.ts';

export interface UpdaterOptions {
  weightDecay: number;
  clipNorm: number | null;
  adam?: Partial<Pick<AdamWConfig, 'beta1' | 'beta2' | 'eps'>>;
  freeze?: { keys: readonly string[]; untilStep: number };
}

interface Group {
  name: string;
  /** Indices into the parameter list. */
  members: number[];
  /** First update (0-based) at which the group trains. */
  fromStep: number;
  optimizer: AdamW;
}

export class ParamUpdater {
  private readonly grads: Tensor[];
  private readonly groups: Group[];
  private readonly clipNorm: number | null;

  constructor(
    readonly params: readonly [string, Tensor][],
    opts: UpdaterOptions,
  ) {
    this.clipNorm = opts.clipNorm;
    this.grads = params.map(([, t]) => keep(zeros(t.shape, t.dtype)));
    const frozen = new Set(opts.freeze?.keys ?? []);
    const known = new Set(params.map(([k]) => k));
    const unknown = [...frozen].filter((k) => !known.has(k));
    if (unknown.length > 0) throw new Error(`freeze: no parameter named ${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ` (and ${unknown.length - 3} more)` : ''} in the model`);
    const indices = params.map((_, i) => i);
    const make = (name: string, members: number[], fromStep: number): Group => ({
      name,
      members,
      fromStep,
      optimizer: new AdamW(
        members.map((i) => ({ name: params[i]![0], tensor: params[i]![1], decay: params[i]![1].rank > 1 })),
        { ...opts.adam, weightDecay: opts.weightDecay, clipNorm: null },
      ),
    });
    this.groups = [make('main', indices.filter((i) => !frozen.has(params[i]![0])), 0)];
    if (frozen.size > 0) this.groups.push(make('frozen', indices.filter((i) => frozen.has(params[i]![0])), opts.freeze!.untilStep));
  }

  /** Indices of the parameters that train at update `step` (0-based). */
  active(step: number): number[] {
    return this.groups.filter((g) => step >= g.fromStep).flatMap((g) => g.members);
  }

  zeroGrads(): void {
    const be = getBackend();
    for (const g of this.grads) be.fill(g.f, 0);
  }

  /** Adds grads[j] into the buffer of parameter indices[j]. */
  accumulate(indices: readonly number[], grads: readonly Tensor[]): void {
    const be = getBackend();
    indices.forEach((i, j) => {
      const acc = this.grads[i]!;
      be.binary(BinaryOp.Add, acc.f, Int32Array.of(1), grads[j]!.f, Int32Array.of(1), acc.f, Int32Array.of(acc.size));
    });
  }

  /** Global L2 norm of the accumulated gradients of the parameters training at `step`. */
  gradNorm(step: number): number {
    return globalNorm(this.active(step).map((i) => this.grads[i]!));
  }

  /** Clips (given the norm from gradNorm) and takes one AdamW step for every active group. */
  apply(step: number, lr: number, norm: number): void {
    const scale = clipScale(norm, this.clipNorm);
    const be = getBackend();
    for (const group of this.groups) {
      if (step < group.fromStep) continue;
      const grads = group.members.map((i) => this.grads[i]!);
      if (scale < 1) for (const g of grads) be.unary(UnaryOp.Scale, g.f, g.f, scale);
      group.optimizer.update(grads, lr);
    }
  }

  /** Moments of every group (keyed `${param}.exp_avg[_sq]`) and each group's step count. */
  state(): { tensors: Map<string, Tensor>; steps: Record<string, number> } {
    const tensors = new Map<string, Tensor>();
    const steps: Record<string, number> = {};
    for (const g of this.groups) {
      const s = g.optimizer.state();
      for (const [k, t] of s.tensors) tensors.set(k, t);
      steps[g.name] = s.step;
    }
    return { tensors, steps };
  }

  /** Every group starts from the same moments and step count (staged training's grown state). */
  loadMoments(tensors: Map<string, Tensor>, step: number): void {
    this.loadState(tensors, Object.fromEntries(this.groups.map((g) => [g.name, step])));
  }

  loadState(tensors: Map<string, Tensor>, steps: Record<string, number>): void {
    for (const g of this.groups) {
      const step = steps[g.name];
      if (step === undefined) throw new Error(`optimizer state has no group '${g.name}' (was the run started with another freeze schedule?)`);
      g.optimizer.loadState({ tensors, step });
    }
  }
}
