// bert2BERT (Chen et al., ACL 2022, §4): width first, then depth by stacking (§4.3).
// - FPI, function-preserving initialisation (§4.1): Net2Net generalised to multi-head attention
//   (head_dim kept, new heads copy old heads) and LayerNorm (gains and biases copied with the
//   hidden neurons); consumers divided by the copy count. Preserving for width (exactly when the
//   hidden size grows by a whole factor; LayerNorm makes it approximate otherwise); the stacking
//   for depth is not preserving.
// - AKI, advanced knowledge initialisation (§4.2): as FPI, but in layer l every new neuron (FFN
//   unit or attention head: its incoming weights, bias and outgoing weights) is taken from layer
//   l+1's FPI expansion; the top layer keeps its own. Not function-preserving.
// Both support only more heads of the same size, as the paper does; grouped-query attention (Llama)
// is copied in key/value groups, as Net2Net does.

import type { Tensor } from '../tensor/index.ts';
import { dims, layerKey, withDims, type ModelConfig } from '../models/index.ts';
import type { GrowContext } from './types.ts';
import { freshMask, maskedMix, paramRoles, requireHeadPlan, type Mode } from './structure.ts';
import { fixedMethod, growModel, knownOptions, type FixedMethod } from './fixed.ts';
import { growWidth, type WidthPlan } from './width.ts';
import { growDepth, stackSources } from './depth.ts';
import { net2netPlan } from './net2net.ts';

const INTERNAL = new Set(['q', 'k', 'v', 'qkv', 'o', 'ffn']); // 'o': Llama's o_proj input, a new head's outgoing weights

/** AKI: in each layer but the top, entries of new FFN units / heads come from the layer above. */
function takeNewNeuronsFromNextLayer(wide: Map<string, Tensor>, mid: ModelConfig, plan: WidthPlan): Map<string, Tensor> {
  const out = new Map(wide);
  for (const info of paramRoles(mid)) {
    if (info.layer === null || info.layer + 1 >= dims(mid).layers) continue;
    const maps = info.axes.map((r, a) => (INTERNAL.has(r) ? plan(info, a) : null));
    if (maps.every((m) => m === null)) continue;
    const next = wide.get(layerKey(mid, info.layer + 1, info.module))!;
    out.set(info.key, maskedMix(wide.get(info.key)!, next, freshMask(info.shape, maps)));
  }
  return out;
}

function bert2bert(variant: 'fpi' | 'aki'): FixedMethod {
  const name = `bert2bert-${variant}`;
  const growAs = (small: Map<string, Tensor>, sc: ModelConfig, lc: ModelConfig, ctx: GrowContext, mode: Mode) => {
    knownOptions(name, ctx.options, []);
    const plan = net2netPlan(sc, lc, ctx);
    const sources = stackSources(dims(sc).layers, dims(lc).layers);
    if (variant === 'fpi') return { params: growModel(small, sc, lc, plan, sources, mode) };
    const mid = withDims(lc, { layers: dims(sc).layers });
    return { params: growDepth(takeNewNeuronsFromNextLayer(growWidth(small, sc, plan, mode), mid, plan), mid, lc, sources) };
  };
  return fixedMethod({
    name,
    description: variant === 'fpi' ? 'bert2BERT FPI: head-wise Net2Net width with LayerNorm, then stacking for depth' : 'bert2BERT AKI: FPI whose new neurons come from the next layer, then stacking',
    grows: { depth: true, width: true },
    functionPreserving: variant === 'fpi',
    optimizerState: variant === 'fpi' ? 'as net2net: copies, with m / c and v / c^2 where weights are divided by the copy count c' : 'as bert2bert-fpi, new neurons taking the next layer\'s moments',
    check: (sc, lc) => void requireHeadPlan(name, sc, lc, ['same', 'more-heads']),
    growAs,
  });
}

export const bert2bertFpi = bert2bert('fpi');
export const bert2bertAki = bert2bert('aki');
