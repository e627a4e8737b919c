// One BERT encoder layer (post-LayerNorm, GELU with erf), parameters named as HuggingFace's
// `bert.encoder.layer.N.*` keys. The full BERT/RoBERTa model builds on it.

import * as T from '../tensor/index.ts';
import type { Rng, Tensor } from '../tensor/index.ts';
import { dropout, initLayerNorm, initLinear, layerNorm, linear, selfAttention, type DropoutCtx, type LayerNormParams, type LinearParams, type SelfAttentionParams } from '../nn/index.ts';

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
}

export function initBertLayer(rng: Rng, s: BertLayerShape, std = 0.02): BertLayerParams {
  const d = s.hidden;
  return {
    attention: {
      self: { query: initLinear(rng, d, d, 'out_in', std), key: initLinear(rng, d, d, 'out_in', std), value: initLinear(rng, d, d, 'out_in', std) },
      output: { dense: initLinear(rng, d, d, 'out_in', std), LayerNorm: initLayerNorm(d) },
    },
    intermediate: { dense: initLinear(rng, s.intermediate, d, 'out_in', std) },
    output: { dense: initLinear(rng, d, s.intermediate, 'out_in', std), LayerNorm: initLayerNorm(d) },
  };
}

/** x [B, T, hidden] -> [B, T, hidden]; keyMask int32 [B, T] (1 = token, 0 = padding) or null. */
export function bertLayer(p: BertLayerParams, s: BertLayerShape, x: Tensor, keyMask: Tensor | null, drop: DropoutCtx | null): Tensor {
  const ctx = selfAttention(p.attention.self, x, s.heads, { keyMask });
  const a = dropout(linear(p.attention.output.dense, ctx), drop);
  const h1 = layerNorm(p.attention.output.LayerNorm, T.add(a, x), s.layerNormEps);
  const f = T.gelu(linear(p.intermediate.dense, h1), 'erf');
  const o = dropout(linear(p.output.dense, f), drop);
  return layerNorm(p.output.LayerNorm, T.add(o, h1), s.layerNormEps);
}
