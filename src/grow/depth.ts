// Depth growth shared by the fixed operators: which small layer each large layer copies.
// - stacking (StackBERT, Gong et al. 2019 §3): large layer l copies small layer l mod L1;
// - interpolation (interlace): l copies floor(l * L1 / L2), each layer repeated in place;
// - insertion (LLaMA-Pro block expansion, Wu et al. 2024 §3; also LEMON and MSG here): the
//   L2 - L1 new blocks are spread evenly, each right after the layer it copies; small layer i is
//   followed by floor((i+1)P/L1) - floor(iP/L1) copies (P = L2 - L1), so P = L1/2 puts one copy
//   after every second layer, as LLaMA-Pro's groups do.
// `fresh` marks the large layers that are new (a copy rather than the original).

import { zeros, type Tensor } from '../tensor/index.ts';
import { dims, layerKey, type ModelConfig } from '../models/index.ts';
import { GrowError, cloneTensor, paramRoles, type ParamInfo } from './structure.ts';

export interface LayerSource {
  src: number;
  fresh: boolean;
}

export function stackSources(l1: number, l2: number): LayerSource[] {
  return Array.from({ length: l2 }, (_, l) => ({ src: l % l1, fresh: l >= l1 }));
}

function markRepeats(srcs: number[]): LayerSource[] {
  return srcs.map((src, l) => ({ src, fresh: l > 0 && srcs[l - 1] === src }));
}

export function interpolateSources(l1: number, l2: number): LayerSource[] {
  return markRepeats(Array.from({ length: l2 }, (_, l) => Math.floor((l * l1) / l2)));
}

export function insertionSources(l1: number, l2: number): LayerSource[] {
  const p = l2 - l1;
  const srcs: number[] = [];
  for (let i = 0; i < l1; i++) {
    const copies = Math.floor(((i + 1) * p) / l1) - Math.floor((i * p) / l1);
    for (let c = 0; c <= copies; c++) srcs.push(i);
  }
  return markRepeats(srcs);
}

/**
 * The large model's tensors: layer l of `large` is a copy of layer sources[l].src of `params`
 * (which has `from`'s depth and `large`'s widths); everything else is copied as it is.
 */
export function growDepth(params: Map<string, Tensor>, from: ModelConfig, large: ModelConfig, sources: LayerSource[]): Map<string, Tensor> {
  if (sources.length !== dims(large).layers) throw new GrowError(`growDepth: ${sources.length} layer sources for ${dims(large).layers} layers`);
  const out = new Map<string, Tensor>();
  for (const info of paramRoles(large)) {
    const key = info.layer === null ? info.key : layerKey(from, sources[info.layer]!.src, info.module);
    const t = params.get(key);
    if (!t) throw new GrowError(`growDepth: no ${key} to copy into ${info.key}`);
    out.set(info.key, cloneTensor(t));
  }
  return out;
}

/** The parameters of a layer that write into the residual stream (attention and FFN output projections). */
export function writesResidual(info: ParamInfo): boolean {
  return info.layer !== null && (info.kind === 'weight' || info.kind === 'bias') && info.axes.some((r, a) => r === 'hidden' && info.sides[a] === 'out');
}

/** Zeroes the residual writes of every inserted (fresh) layer: a pre-LN block becomes x + 0 + 0. */
export function zeroInsertedOutputs(params: Map<string, Tensor>, large: ModelConfig, sources: LayerSource[]): void {
  for (const info of paramRoles(large)) {
    if (info.layer !== null && sources[info.layer]!.fresh && writesResidual(info)) params.set(info.key, zeros(info.shape));
  }
}
