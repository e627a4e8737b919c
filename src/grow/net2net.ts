// Net2Net's Net2WiderNet (Chen, Goodfellow & Shlens, ICLR 2016, §3.1) for transformers: every
// new neuron copies a random old one of the same layer and role; its consumers' weights for all
// copies of a neuron are divided by the copy count, so the function is preserved. Attention is
// handled head-wise so it stays preserving: with more heads (head_dim fixed) new heads copy whole
// old heads; with wider heads (head count fixed) new dims copy dims of the same head, k carries
// the 1/count share (q.k sums over the copies) and q is scaled by sqrt(d2/d1) for the softmax's
// 1/sqrt(head_dim). Grouped-query attention (Llama) is copied in key/value groups: a new query
// head copies a query head of the group whose key/value head its own copies (width.ts
// attentionPicks; docs/growth.md, Llama). Copies are drawn without replacement (counts differ by
// at most one), so LayerNorm statistics over the hidden size are exact when it grows by a whole
// factor; for other hidden sizes LayerNorm makes the result approximate (FFN and attention growth
// stay exact).
// Depth: when L2 > L1 the widened model is stacked (StackBERT's rule), which is NOT
// function-preserving; Net2DeeperNet's identity layers do not exist for LayerNorm transformers.

import { Rng } from '../tensor/index.ts';
import { dims, type ModelConfig } from '../models/index.ts';
import type { GrowContext } from './types.ts';
import { headPlan, requireHeadPlan, type HeadPlan } from './structure.ts';
import { fixedMethod, growModel, knownOptions } from './fixed.ts';
import { balancedPicker, copyPlan, equalSplit, pickNeurons, type WidthPlan } from './width.ts';
import { stackSources } from './depth.ts';

/** Net2Net's width plan (exported for LiGO's Proposition 1 test and for bert2bert.ts). */
export function net2netPlan(small: ModelConfig, large: ModelConfig, ctx: Pick<GrowContext, 'seed'>, plan: HeadPlan = headPlan(small, large)): WidthPlan {
  const neurons = pickNeurons(small, large, plan, balancedPicker(new Rng(ctx.seed)));
  return copyPlan({ neurons, small, large, plan, split: equalSplit });
}

export const net2net = fixedMethod({
  name: 'net2net',
  description: 'Net2Net: new neurons/heads copy random old ones (query heads within their key/value group), consumers divided by the copy count; depth by stacking',
  grows: { depth: true, width: true },
  functionPreserving: true,
  optimizerState: 'copied like the weights; where a weight is divided by the copy count c, the first moment is divided by c and the second by c^2 (q scaled by f for wider heads: m by f, v by f^2)',
  check: (sc, lc) => void requireHeadPlan('net2net', sc, lc, ['same', 'more-heads', 'wider-heads']),
  growAs(small, sc, lc, ctx, mode) {
    knownOptions('net2net', ctx.options, []);
    return { params: growModel(small, sc, lc, net2netPlan(sc, lc, ctx), stackSources(dims(sc).layers, dims(lc).layers), mode) };
  },
});
