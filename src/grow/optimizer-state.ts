// Growing Adam's state with the model (staged training, Shen et al. ICML 2022, §4: a grown model
// keeps training with its optimizer state carried over). Every fixed operator is a linear map of
// the small parameters plus constants; the moments go through the same map (`growAs` with mode
// 'first-moment' / 'second-moment'): the first moment takes each weight's factor f, the second
// f^2, so a neuron copied c times whose outgoing weights are divided by c gets m / c and v / c^2
// on those weights (halved and quartered for a doubling, staged training's rule), while plain
// copies keep their moments. Constants (noise, fresh initialisations, zeroed projections, plain
// LayerNorm gains) get zero moments. Per operator (each method's `optimizerState` line):
// - stackbert, interpolation, mslt: each large layer copies its source layer's moments;
// - net2net, bert2bert-fpi: copies; m / c, v / c^2 where the weights are divided by the copy
//   count c; q scaled by f for wider heads (net2net): m * f, v * f^2;
// - bert2bert-aki: as fpi, new neurons taking the next layer's moments;
// - lemon: m * f, v * f^2 for its random shares, s-scaling and averages (an average of n terms
//   with weights w gives v = sum w^2 v_i); inserted blocks' zeroed projections and plain
//   LayerNorms get zero, the moved LayerNorm affine keeps its moments;
// - hypercloning: tiled, m / n and v / n^2 on the input side; no moments for the noise;
// - block-expansion: copies, zero for the zeroed output projections;
// - msg: zero on masked (new) structure, the rest as lemon's residual expansion.
// LiGO is not covered: the paper trains the grown model with a fresh optimizer.
//
// The state is AdamW's saved form (src/optim/adamw.ts): `${key}.exp_avg`, `${key}.exp_avg_sq`.

import type { Tensor } from '../tensor/index.ts';
import type { ModelConfig } from '../models/index.ts';
import type { GrowContext, GrowMethod } from './types.ts';
import { GrowError } from './structure.ts';
import type { FixedMethod } from './fixed.ts';

/** AdamW.state(): moments per parameter name and the step count. */
export interface AdamMoments {
  tensors: Map<string, Tensor>;
  step: number;
}

const FIRST = '.exp_avg';
const SECOND = '.exp_avg_sq';

function split(state: AdamMoments): { m: Map<string, Tensor>; v: Map<string, Tensor> } {
  const m = new Map<string, Tensor>();
  const v = new Map<string, Tensor>();
  for (const [name, t] of state.tensors) {
    if (name.endsWith(SECOND)) v.set(name.slice(0, -SECOND.length), t);
    else if (name.endsWith(FIRST)) m.set(name.slice(0, -FIRST.length), t);
    else throw new GrowError(`optimizer state: ${name} is neither an ${FIRST} nor an ${SECOND} tensor`);
  }
  return { m, v };
}

const isFixed = (method: GrowMethod): method is FixedMethod => typeof (method as Partial<FixedMethod>).growAs === 'function';

/** The large model's Adam state, grown by `method` with the same seed and options as its parameters. */
export function growAdamState(state: AdamMoments, method: GrowMethod, smallConfig: ModelConfig, largeConfig: ModelConfig, ctx: GrowContext): AdamMoments {
  if (!isFixed(method)) throw new GrowError(`${method.name} has no optimizer-state growth: it starts the large model with a fresh optimizer; use a fixed method or reset the optimizer`);
  const { m, v } = split(state);
  const mLarge = method.growAs(m, smallConfig, largeConfig, ctx, 'first-moment').params;
  const vLarge = method.growAs(v, smallConfig, largeConfig, ctx, 'second-moment').params;
  const tensors = new Map<string, Tensor>();
  for (const [key, t] of mLarge) {
    tensors.set(key + FIRST, t);
    tensors.set(key + SECOND, vLarge.get(key)!);
  }
  return { tensors, step: state.step };
}
