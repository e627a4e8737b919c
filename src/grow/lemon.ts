// LEMON, lossless model expansion (Wang et al., ICLR 2024): width and depth growth that computes
// exactly the small model's function, with symmetry breaking, followed (their §5) by training at
// the small model's peak learning rate with a faster decay (returned as schedule.lrHint).
//
// Width (§4.1). FFN units and heads (head_dim kept) are copied as in Net2Net, but consumers take
// unequal random shares alpha of each copy (alpha != beta, summing to 1), so copies do not stay
// identical under training. The residual stream:
// - pre-LN (gpt2, vit, deit): LEMON's average expansion, any hidden size: x -> s [x; mean(x)...]
//   with s = sqrt(D2/D1), which keeps every LayerNorm's mean and variance (so eps too) exact; norm
//   gains / s (/ s^2 for GPT-2's ln_f, which feeds the tied decoder), new norm outputs are zero,
//   consumers' new columns copy random old ones (they read zeros; symmetry breaking).
// - post-LN (bert, roberta): LayerNorm sits on the stream itself, so only whole multiples are
//   lossless: every hidden neuron is copied k = D2/D1 times (LayerNorm over k equal copies is
//   exact) and consumers split with random shares. Other hidden sizes are refused.
// Depth (§4.2): new blocks are inserted after the block they copy (depth.ts insertionSources)
// with their residual writes (attention and FFN output projections) zeroed.
// - pre-LN: such a block is exactly the identity: x + 0 + 0.
// - post-LN: a block computes LN_b(FFN(h1) + h1) with h1 = LN_a(attn(x) + x), which is not the
//   identity even with zeroed outputs. Here the LayerNorm affine (gain, bias) of the block below
//   moves to the last inserted block's output LayerNorm and every LayerNorm in between becomes
//   plain normalisation (gain 1, bias 0). The inserted blocks then re-normalise an already
//   normalised vector: exact up to eps (relative error about eps / var, ~1e-12 for BERT's
//   eps, ~1e-5 for RoBERTa's).

import { Rng, full, zeros, type Tensor } from '../tensor/index.ts';
import { dims, lnPlacement, type ModelConfig, type ParamKind } from '../models/index.ts';
import { GrowError, gatherMap, paramRoles, requireHeadPlan, requireLayerNormForWidth, type Mode, type ParamInfo } from './structure.ts';
import { constant, fixedMethod, growModel, knownOptions } from './fixed.ts';
import { averageResidualPlan, balancedPicker, copyPlan, integerFactor, pickNeurons, randomSplit, type WidthPlan } from './width.ts';
import { insertionSources, zeroInsertedOutputs, type LayerSource } from './depth.ts';

export const LEMON_LR_HINT = 'LEMON §5: keep the small model\'s peak learning rate (no warm-up to a lower one) and decay faster than for training from scratch';

function lemonPlan(sc: ModelConfig, lc: ModelConfig, seed: number): WidthPlan {
  const rng = new Rng(seed);
  const plan = requireHeadPlan('lemon', sc, lc, ['same', 'more-heads']);
  const neurons = pickNeurons(sc, lc, plan, balancedPicker(rng));
  const inner = copyPlan({ neurons, small: sc, large: lc, plan, split: randomSplit(rng) });
  if (lnPlacement(sc) === 'post') return inner;
  const h = neurons.hidden;
  const residual = averageResidualPlan(dims(sc).hidden, dims(lc).hidden, h, (old) => gatherMap(old, h.src, undefined, h.fresh));
  return (info, axis) => (info.axes[axis] === 'hidden' ? residual(info, axis) : inner(info, axis));
}

/**
 * Post-LN: move the affine of the LayerNorm below each run of inserted blocks to the run's last
 * block. A post-LN layer's norms come in forward order in its spec (models/bert-layer.ts): the last
 * one normalises the layer's output, the others sit inside it.
 */
function moveAffineAcrossInserted(params: Map<string, Tensor>, lc: ModelConfig, sources: LayerSource[], mode: Mode): void {
  const roles = paramRoles(lc);
  const norms = (layer: number, kind: ParamKind) => roles.filter((p) => p.layer === layer && p.kind === kind);
  const plain = (p: ParamInfo) => params.set(p.key, constant(mode, p.kind === 'norm_weight' ? full(p.shape, 1) : zeros(p.shape)));
  sources.forEach((s, l) => {
    if (!s.fresh) return;
    const lastOfRun = l + 1 >= sources.length || !sources[l + 1]!.fresh;
    let below = l - 1;
    while (sources[below]!.fresh) below--;
    for (const kind of ['norm_weight', 'norm_bias'] as const) {
      const inner = norms(l, kind);
      const output = inner.pop()!;
      inner.forEach(plain);
      if (lastOfRun) {
        const from = norms(below, kind).at(-1)!;
        params.set(output.key, params.get(from.key)!);
        plain(from);
      } else plain(output);
    }
  });
}

export const lemon = fixedMethod({
  name: 'lemon',
  description: 'LEMON: lossless width and depth growth with symmetry breaking (post-LN: whole hidden multiples only)',
  grows: { depth: true, width: true },
  functionPreserving: true,
  optimizerState: 'the same linear map: m gets each weight\'s factor f (copies, random shares, s-scaling, averages), v gets f^2; zeroed projections and plain LayerNorms get zero moments',
  check(sc, lc) {
    requireHeadPlan('lemon', sc, lc, ['same', 'more-heads']);
    requireLayerNormForWidth('lemon', sc, lc, 'hypercloning or net2net (whole multiples of hidden_size keep RMSNorm exactly)');
    const d1 = dims(sc).hidden;
    const d2 = dims(lc).hidden;
    if (lnPlacement(sc) === 'post' && integerFactor(d1, d2) === null) {
      throw new GrowError(`lemon cannot widen post-LN ${sc.model_type} losslessly from hidden_size ${d1} to ${d2}: LayerNorm sits on the residual stream, so use a multiple of ${d1} (e.g. ${2 * d1}), or bert2bert-fpi / net2net (approximate)`);
    }
  },
  growAs(small, sc, lc, ctx, mode) {
    knownOptions('lemon', ctx.options, []);
    const sources = insertionSources(dims(sc).layers, dims(lc).layers);
    const params = growModel(small, sc, lc, lemonPlan(sc, lc, ctx.seed), sources, mode);
    zeroInsertedOutputs(params, lc, sources);
    if (lnPlacement(lc) === 'post') moveAffineAcrossInserted(params, lc, sources, mode);
    return { params, schedule: { lrHint: LEMON_LR_HINT } };
  },
});
