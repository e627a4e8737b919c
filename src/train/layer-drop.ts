// Progressive layer dropping (PLD; Zhang & He, NeurIPS 2020, "Accelerating Training of
// Transformer-Based Language Models with Progressive Layer Dropping").
//
// At update t (0-based) layer i (1-based, of L) runs with probability
//   p_i(t) = 1 - (i / L) * (1 - theta(t)),   theta(t) = (1 - thetaBar) * exp(-gamma * t) + thetaBar,
// so every layer runs at the start and deeper layers are skipped more often as training goes on
// (DeepSpeed's ProgressiveLayerDrop schedule; defaults thetaBar 0.5 and gamma 0.001 as the paper;
// short runs want a larger gamma). One draw per layer and micro-batch: a skipped layer is the
// identity for the whole micro-batch, which is what saves its compute (and its FLOPs are not
// counted: flops.ts LayerTokens). Evaluation runs every layer.
//
// Rescaling. DeepSpeed's reference model (DeepSpeedExamples bing_bert/nvidia/
// modelingpreln_layerdrop.py, BertLayer.forward) is pre-LN and multiplies a running layer's
// attention and FFN residual branches by 1 / keep_prob, so that the residual sum has the
// expectation of the full network's, which evaluation runs unscaled. We do the same in the pre-LN
// families (GPT-2, ViT/DeiT: models/common.ts scaleBranch). BERT and RoBERTa here are post-LN
// (HF's layout): a layer's output passes through LayerNorm, there is no additive branch whose
// expectation a factor restores, and scaling the sublayer outputs inside the norm would only make
// the training-time layers differ from the evaluated ones; a running post-LN layer is unscaled,
// as LayerDrop (Fan et al. 2019, fairseq's post-LN RoBERTa) skips layers without rescaling.
// (DeepSpeed draws layer i with p_{i-1}, so its first layer always runs, and scales it with p_i;
// we use the paper's p_i for both.)
//
// Determinism: the draw of layer i in micro-batch m of update t is a counter hash of
// (seed, t, m, i) (tensor/rng.ts hash32), not a sequential RNG, so a resumed run makes exactly
// the same choices without saving any state.

import { hash32 } from '../tensor/index.ts';
import type { LayerUse } from '../models/index.ts';

export interface LayerDropSpec {
  /** The keep-probability floor theta-bar of the deepest layer, in (0, 1] (1: nothing is ever dropped). */
  thetaBar: number;
  /** How fast theta(t) decays from 1 to thetaBar, per update (> 0). */
  gamma: number;
}

export const LAYER_DROP_DEFAULTS: LayerDropSpec = { thetaBar: 0.5, gamma: 0.001 };

/** Stream tag of the layer draws under the run seed (1: dropout, 2: masking, 3: augmentation). */
const LAYER_DROP_STREAM = 4;

export function checkLayerDrop(s: LayerDropSpec): void {
  if (!(s.thetaBar > 0 && s.thetaBar <= 1)) throw new RangeError(`layer drop: theta-bar must be in (0, 1], got ${s.thetaBar}`);
  if (!(s.gamma > 0 && Number.isFinite(s.gamma))) throw new RangeError(`layer drop: gamma must be a positive number, got ${s.gamma}`);
}

/** theta(t) at update t (0-based). */
export function layerDropTheta(s: LayerDropSpec, step: number): number {
  return (1 - s.thetaBar) * Math.exp(-s.gamma * step) + s.thetaBar;
}

/** p_i(t) for each of `layers` layers (index 0 is the paper's i = 1). */
export function layerKeepProbs(s: LayerDropSpec, step: number, layers: number): number[] {
  const theta = layerDropTheta(s, step);
  return Array.from({ length: layers }, (_, i) => 1 - ((i + 1) / layers) * (1 - theta));
}

/** Which layers micro-batch `micro` of update `step` runs, and their keep probabilities. */
export function layerDropPlan(s: LayerDropSpec, seed: number, step: number, micro: number, layers: number): LayerUse[] {
  const base = hash32(hash32(hash32(seed, LAYER_DROP_STREAM), step), micro);
  return layerKeepProbs(s, step, layers).map((keepProb, i) => ({ run: hash32(base, i) / 4294967296 < keepProb, keepProb }));
}
