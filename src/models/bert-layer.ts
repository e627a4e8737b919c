// One BERT encoder layer (post-LayerNorm), parameters named as HuggingFace's
// `bert.encoder.layer.N.*` keys; mirrors transformers' BertLayer (BertAttention, BertIntermediate,
// BertOutput). BERT and RoBERTa (bert.ts) build on it. Attention-probability dropout is not
// applied (the fused attention kernel has none); hidden dropout is.

import type { Rng, Tensor } from '../tensor/index.ts';
import { addResidual, dropout, layerNorm, linear, selfAttention, type DropoutCtx, type LayerNormParams, type LinearParams, type SelfAttentionParams } from '../nn/index.ts';
import type { HiddenAct } from './config.ts';
import { activation } from './common.ts';
import { initTree, layerNormSpec, linearSpec, type SpecTree } from './params.ts';

export interface BertLayerParams {
  attention: {
    self: SelfAttentionParams;
    output: { dense: LinearParams; LayerNorm: LayerNormParams };
  };
  intermediate: { dense: LinearParams };
  output: { dense: LinearParams; LayerNorm: LayerNormParams };
}

export interface BertLayerShape {
  hidden: number;
  heads: number;
  intermediate: number;
  layerNormEps: number;
  /** The FFN activation (config.hidden_act); 'gelu' (erf) when absent. */
  hiddenAct?: HiddenAct;
}

export function bertLayerSpec(s: BertLayerShape, std = 0.02): SpecTree<BertLayerParams> {
  const d = s.hidden;
  return {
    attention: {
      self: { query: linearSpec(d, d, std, { out: 'q', in: 'hidden' }), key: linearSpec(d, d, std, { out: 'k', in: 'hidden' }), value: linearSpec(d, d, std, { out: 'v', in: 'hidden' }) },
      output: { dense: linearSpec(d, d, std, { out: 'hidden', in: 'v' }), LayerNorm: layerNormSpec(d) },
    },
    intermediate: { dense: linearSpec(s.intermediate, d, std, { out: 'ffn', in: 'hidden' }) },
    output: { dense: linearSpec(d, s.intermediate, std, { out: 'hidden', in: 'ffn' }), LayerNorm: layerNormSpec(d) },
  };
}

export function initBertLayer(rng: Rng, s: BertLayerShape, std = 0.02): BertLayerParams {
  return initTree<BertLayerParams>(bertLayerSpec(s, std), rng);
}

/** x [B, T, hidden] -> [B, T, hidden]; keyMask int32 [B, T] (1 = token, 0 = padding) or null. */
export function bertLayer(p: BertLayerParams, s: BertLayerShape, x: Tensor, keyMask: Tensor | null, drop: DropoutCtx | null): Tensor {
  const ctx = selfAttention(p.attention.self, x, s.heads, { keyMask }); // [B, T, hidden]
  const a = linear(p.attention.output.dense, ctx);
  const h1 = layerNorm(p.attention.output.LayerNorm, addResidual(dropout(a, drop), x, a), s.layerNormEps);
  const f = activation(linear(p.intermediate.dense, h1), s.hiddenAct ?? 'gelu'); // [B, T, intermediate]
  const o = linear(p.output.dense, f);
  return layerNorm(p.output.LayerNorm, addResidual(dropout(o, drop), h1, o), s.layerNormEps);
}
