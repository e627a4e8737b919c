// Block expansion (LLaMA-Pro, Wu et al. ACL 2024, §3.1): insert L2 - L1 blocks, each a copy of
// the block before it (spread evenly: depth.ts insertionSources) with its output projections
// (attention and FFN, weights and biases) zeroed, so for pre-LN models (gpt2, vit, deit) every
// inserted block is exactly the identity: x + 0 + 0. Depth only.
// Post-LN models (bert, roberta) are refused: there the inserted block ends in LayerNorms that
// re-normalise the stream and apply the copied gain and bias, LN_b(LN_a(x)) != x, so the
// "identity" block changes the function. lemon handles post-LN depth (it moves the LayerNorm
// affine across the inserted blocks).

import { dims, lnPlacement } from '../models/index.ts';
import { GrowError, requireSameWidth } from './structure.ts';
import { fixedMethod, growModel, knownOptions } from './fixed.ts';
import { insertionSources, zeroInsertedOutputs } from './depth.ts';

export const blockExpansion = fixedMethod({
  name: 'block-expansion',
  description: 'LLaMA-Pro block expansion: inserted blocks copy the block below with zeroed output projections (pre-LN only; depth only)',
  grows: { depth: true, width: false },
  functionPreserving: true,
  optimizerState: 'inserted blocks get copies of their source block\'s moments, zero for the zeroed output projections',
  check(sc, lc) {
    requireSameWidth('block-expansion', sc, lc);
    if (lnPlacement(sc) === 'post') {
      throw new GrowError(`block-expansion keeps the function only for pre-LN models; in post-LN ${sc.model_type} an inserted block's LayerNorms change the stream even with zeroed outputs: use --method lemon (exact for post-LN depth) or stackbert`);
    }
  },
  growAs(small, sc, lc, ctx, mode) {
    knownOptions('block-expansion', ctx.options, []);
    const sources = insertionSources(dims(sc).layers, dims(lc).layers);
    const params = growModel(small, sc, lc, null, sources, mode);
    zeroInsertedOutputs(params, lc, sources);
    return { params };
  },
});
