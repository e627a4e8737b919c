// MSG, masked structural growth (Yao et al., ICLR 2024, "2x faster language model pre-training
// via masked structural growth", §3): new structure (FFN units, heads with head_dim kept, whole
// layers) starts from a fresh initialisation multiplied by a mask that the training loop ramps
// from 0 to 1 over `rampSteps` (option, default 1000): schedule.maskRamp, W_eff = W * (1 - m + r m).
// At r = 0 the grown model computes exactly the small model's function.
//
// Departures forced by masking weights (the paper masks activations inside the forward):
// - hidden size: a zero-masked residual dim would change every LayerNorm's mean and variance, so
//   the residual stream is expanded losslessly instead (pre-LN: LEMON's scaled average expansion,
//   any size; post-LN: whole multiples, each dim copied), and only the consumers' new input
//   columns are fresh and masked;
// - depth: a fully masked pre-LN block is x + 0 + 0 (exact), but a masked post-LN block outputs
//   LayerNorm(0)-based zeros, so post-LN depth growth (bert, roberta) is refused.
// - grouped-query attention (Llama): new key/value heads are fresh, so an old group of query
//   heads must stay whole under its own key/value head; fewer query heads per key/value head in
//   the large model is refused.
// The fresh values are the large model's own HF initialisation drawn with ctx.seed.

import { Rng, full, zeros, type Tensor } from '../tensor/index.ts';
import { dims, lnPlacement, modelFor, type ModelConfig } from '../models/index.ts';
import { GrowError, freshMask, gatherMap, maskedMix, paramRoles, requireHeadPlan, requireLayerNormForWidth, type AxisMap } from './structure.ts';
import { fixedMethod, growModel, knownOptions, numberOption } from './fixed.ts';
import { averageResidualPlan, balancedPicker, copyPlan, equalSplit, integerFactor, nonePicker, pickNeurons, type Picks, type WidthPlan } from './width.ts';
import { insertionSources, type LayerSource } from './depth.ts';

const DEFAULT_RAMP_STEPS = 1000;

/** Residual stream: lossless expansion of producers and norms; consumers' new columns fresh (masked). */
function hiddenPlan(sc: ModelConfig, lc: ModelConfig, h: Picks): WidthPlan {
  const d1 = dims(sc).hidden;
  const d2 = dims(lc).hidden;
  const notFresh = new Uint8Array(d2);
  const consumer = gatherMap(d1, nonePicker(d1, d2), undefined, h.fresh);
  if (lnPlacement(sc) === 'pre') return averageResidualPlan(d1, d2, h, () => consumer);
  const copies = gatherMap(d1, h.src, undefined, notFresh);
  const shares = gatherMap(d1, h.src, equalSplit(h.src, d1), notFresh);
  return (info, axis) => (info.sides[axis] !== 'in' ? copies : info.kind === 'weight' ? consumer : shares);
}

function msgPlan(sc: ModelConfig, lc: ModelConfig, seed: number): WidthPlan {
  const plan = requireHeadPlan('msg', sc, lc, ['same', 'more-heads']);
  const neurons = pickNeurons(sc, lc, plan, nonePicker, balancedPicker(new Rng(seed)));
  const inner = copyPlan({ neurons, small: sc, large: lc, plan, split: equalSplit });
  const hidden = hiddenPlan(sc, lc, neurons.hidden);
  return (info, axis) => (info.axes[axis] === 'hidden' ? hidden(info, axis) : inner(info, axis));
}

/** Per large key, 1 on new structure: all of an inserted layer, else the fresh indices of its source layer's maps. */
function structureMasks(lc: ModelConfig, plan: WidthPlan, sources: LayerSource[]): Map<string, Tensor> {
  const masks = new Map<string, Tensor>();
  for (const info of paramRoles(lc)) {
    const source = info.layer === null ? null : sources[info.layer]!;
    if (source?.fresh) {
      masks.set(info.key, full(info.shape, 1));
      continue;
    }
    const asSmall = source ? { ...info, layer: source.src } : info;
    const maps: (AxisMap | null)[] = info.axes.map((r, a) => (r === 'fixed' ? null : plan(asSmall, a)));
    const mask = freshMask(info.shape, maps);
    if (mask.f.some((v) => v === 1)) masks.set(info.key, mask);
  }
  return masks;
}

function requireGroupsKept(sc: ModelConfig, lc: ModelConfig): void {
  const s = dims(sc);
  const l = dims(lc);
  const r = s.heads / s.kvHeads;
  if (l.heads / l.kvHeads >= r) return;
  throw new GrowError(`msg starts new key/value heads fresh, so it cannot spread a group of ${r} query heads over several key/value heads (${s.heads} query heads over ${s.kvHeads} -> ${l.heads} over ${l.kvHeads}): keep at least ${r} query heads per key/value head, or use net2net`);
}

export const msg = fixedMethod({
  name: 'msg',
  description: 'MSG: new FFN units, heads and layers start masked (ramped 0 -> 1 over rampSteps); exact at ramp 0',
  options: { rampSteps: { default: DEFAULT_RAMP_STEPS, expected: 'a positive integer', meaning: 'training steps over which the mask on new structure ramps from 0 to 1' } },
  grows: { depth: true, width: true },
  functionPreserving: true,
  optimizerState: 'new (masked) structure starts with zero moments; the rest as lemon\'s expansion (m with factor f, v with f^2)',
  check(sc, lc) {
    requireGroupsKept(sc, lc);
    requireHeadPlan('msg', sc, lc, ['same', 'more-heads']);
    requireLayerNormForWidth('msg', sc, lc, 'hypercloning or net2net (whole multiples of hidden_size keep RMSNorm exactly)');
    if (lnPlacement(sc) === 'pre') return;
    if (dims(lc).layers !== dims(sc).layers) throw new GrowError(`msg cannot grow post-LN ${sc.model_type} in depth with parameter masks (a masked post-LN block outputs zeros, not its input): keep num_hidden_layers ${dims(sc).layers}, or use lemon`);
    const d1 = dims(sc).hidden;
    const d2 = dims(lc).hidden;
    if (integerFactor(d1, d2) === null) throw new GrowError(`msg can widen post-LN ${sc.model_type} only by whole multiples of hidden_size ${d1} (LayerNorm sits on the residual stream), not to ${d2}: use e.g. ${2 * d1}`);
  },
  growAs(small, sc, lc, ctx, mode) {
    knownOptions('msg', ctx.options, ['rampSteps']);
    const steps = numberOption('msg', ctx.options, 'rampSteps', DEFAULT_RAMP_STEPS, 1, Infinity, true);
    const plan = msgPlan(sc, lc, ctx.seed);
    const sources = insertionSources(dims(sc).layers, dims(lc).layers);
    const grown = growModel(small, sc, lc, plan, sources, mode);
    const masks = structureMasks(lc, plan, sources);
    const init = mode === 'params' ? new Map(modelFor(lc).flatten(modelFor(lc).initParams(lc, ctx.seed))) : null;
    const params = new Map([...grown].map(([k, t]) => {
      const m = masks.get(k);
      return [k, m ? maskedMix(t, init?.get(k) ?? zeros(t.shape), m) : t];
    }));
    return { params, schedule: { maskRamp: { masks, steps } } };
  },
});
