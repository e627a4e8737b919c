// What every growth operator needs to know about a model's parameters, the checks before growing,
// and (from axis-map.ts, re-exported here) the width-expansion index arithmetic. LiGO's width
// matrices B (output side) and A (input side) are tied across parameters that share a dimension
// (Wang et al., ICLR 2023, §3); which dimension each axis indexes, and on which side, comes from
// the models' parameter specs (src/models/params.ts), the one description of every key; a model's
// sizes, norm placement and layer keys from src/models/architecture.ts; the maths is in docs/growth.md.
//
// API (stable; src/grow/ligo/ builds on it):
//   paramRoles(config): ParamInfo[]        every key modelFor(config).flatten() produces, in that
//                                           order, with layer, module, and the spec's kind, shape,
//                                           one AxisRole and one AxisSide per axis ('out': the axis
//                                           produces that dimension, expand it like B; 'in': it
//                                           consumes it, like A)
//   paramRoleMap(config)                    the same, keyed by HF key
//   checkGrowable(small, large)             throws GrowError (one line: why, what to change)
//   headPlan(small, large)                  'same' | 'more-heads' | 'wider-heads' (throws otherwise)
//   requireHeadPlan / requireSameDepth / requireSameWidth / requireLayerNormForWidth   operator preconditions, GrowError
//   AxisMap, gatherMap, mixMap, concatMaps  a linear map along one axis: new index j = sum of
//                                           weighted old indices; `fresh` marks new structure
//   expandAxis(t, axis, map, mode) / expandTensor(t, maps, mode) / freshMask(shape, maps)
//   Mode: 'params' | 'first-moment' | 'second-moment' (moments: weights squared for the second)
//   maskedMix(base, other, mask), addZeroSumNoise(t, axis, map, std, rng), cloneTensor(t)

import { dims, fixedFields, isLlamaFamily, modelFor, sizeFields, specEntries, type AxisSide, type LlamaFamilyConfig, type ModelConfig } from '../models/index.ts';
import type { ParamRole } from './types.ts';
import { methodsGrowing } from './known.ts';

export type { AxisSide };

export interface ParamInfo extends ParamRole {
  shape: number[];
  /** Per axis: 'out' if the parameter produces that dimension, 'in' if it consumes it. */
  sides: AxisSide[];
}

export class GrowError extends Error {
  override name = 'GrowError';
}

// ---- roles, from the parameter specs -----------------------------------------------------

/** Every parameter of the model with its roles, in flatten() order. */
export function paramRoles(config: ModelConfig): ParamInfo[] {
  return specEntries(modelFor(config).paramSpec(config)).map(({ key, spec, layer, module }) => ({
    key,
    layer,
    module,
    kind: spec.kind,
    axes: spec.axes.map((a) => a.role),
    sides: spec.axes.map((a) => a.side),
    shape: [...spec.shape],
  }));
}

export function paramRoleMap(config: ModelConfig): Map<string, ParamInfo> {
  return new Map(paramRoles(config).map((p) => [p.key, p]));
}

/**
 * Refuses widening a model whose norms are RMSNorm (the Llama family) by `method`, whose
 * residual-stream map keeps LayerNorm's mean and variance but not the mean of squares RMSNorm divides by.
 */
export function requireLayerNormForWidth(method: string, small: ModelConfig, large: ModelConfig, instead: string): void {
  if (!isLlamaFamily(small) || dims(small).hidden === dims(large).hidden) return;
  throw new GrowError(`${method} cannot widen ${small.model_type}'s hidden_size ${dims(small).hidden} -> ${dims(large).hidden} losslessly: its residual-stream map keeps LayerNorm's mean and variance, and ${small.model_type}'s RMSNorm divides by the root mean square; grow depth only with ${method}, or widen with ${instead}`);
}

// ---- growability --------------------------------------------------------------------------

/** A config value as JSON with object keys sorted, so equal objects (rope_scaling) compare equal. */
const canonical = (v: unknown) => JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));

/** Throws a one-line GrowError when `small` cannot grow into `large`, saying what to change. */
export function checkGrowable(small: ModelConfig, large: ModelConfig): void {
  if (small.model_type !== large.model_type) {
    throw new GrowError(`cannot grow ${small.model_type} into ${large.model_type}: growth keeps the model family; use a ${small.model_type} target config (model_type '${small.model_type}')`);
  }
  const s = small as unknown as Record<string, unknown>;
  const l = large as unknown as Record<string, unknown>;
  for (const f of fixedFields(small)) {
    if (canonical(s[f]) !== canonical(l[f])) throw new GrowError(`cannot grow: ${f} differs (small ${JSON.stringify(s[f])}, large ${JSON.stringify(l[f])}); growth keeps it, so set the large config's ${f} to ${JSON.stringify(s[f])}`);
  }
  const ds = dims(small);
  const dl = dims(large);
  const names = sizeFields(large);
  for (const k of ['layers', 'hidden', 'heads', 'ffn'] as const) {
    if (dl[k] < ds[k]) throw new GrowError(`cannot shrink ${names[k]} from ${ds[k]} to ${dl[k]}: growth only grows; set the large config's ${names[k]} to at least ${ds[k]}`);
  }
  if (dl.hidden % dl.heads !== 0) throw new GrowError(`large ${names.hidden} ${dl.hidden} is not divisible by ${names.heads} ${dl.heads}: pick heads that divide the hidden size`);
  if (isLlamaFamily(small) && isLlamaFamily(large)) checkLlamaGrowable(small, large);
}

/**
 * Llama: the operators here treat q/k/v/o as hidden-sized (heads x head_dim = hidden_size); width
 * grows the number of heads at a fixed head_dim (rotary embeddings pair the dimensions of each
 * head by position within it, so whole heads are the unit that can be copied); key/value heads
 * only grow. The head-copying operators copy query heads within key/value groups
 * (requireHeadPlan; width.ts attentionPicks); LiGO's learned width matrices map any head counts.
 */
function checkLlamaGrowable(small: LlamaFamilyConfig, large: LlamaFamilyConfig): void {
  for (const c of [small, large]) {
    if (c.head_dim * c.num_attention_heads !== c.hidden_size) throw new GrowError(`cannot grow a ${c.model_type} config whose head_dim ${c.head_dim} x num_attention_heads ${c.num_attention_heads} differs from hidden_size ${c.hidden_size}: growth needs head_dim = hidden_size / num_attention_heads`);
  }
  if (small.head_dim !== large.head_dim) throw new GrowError(`${small.model_type} width growth keeps head_dim (rotary embeddings rotate dimension pairs i, i + head_dim/2 of each head, and a wider head would change every pair's frequency): set the large num_attention_heads to ${large.hidden_size / small.head_dim} for head_dim ${small.head_dim}`);
  if (large.num_key_value_heads < small.num_key_value_heads) throw new GrowError(`cannot shrink num_key_value_heads from ${small.num_key_value_heads} to ${large.num_key_value_heads}: growth only grows; set the large num_key_value_heads to at least ${small.num_key_value_heads}`);
}

export type HeadPlan = 'same' | 'more-heads' | 'wider-heads';

/** How attention grows: more heads of the same size, or the same heads made wider. */
export function headPlan(small: ModelConfig, large: ModelConfig): HeadPlan {
  const s = dims(small);
  const l = dims(large);
  if (s.heads === l.heads && s.headDim === l.headDim) return 'same';
  if (s.headDim === l.headDim) return 'more-heads';
  if (s.heads === l.heads) return 'wider-heads';
  const f = sizeFields(large);
  throw new GrowError(`attention grows in both head count (${s.heads} -> ${l.heads}) and head size (${s.headDim} -> ${l.headDim}): keep head size ${s.headDim} (${f.heads} ${l.hidden / s.headDim}) or keep ${f.heads} ${s.heads}`);
}

export function requireHeadPlan(method: string, small: ModelConfig, large: ModelConfig, supported: HeadPlan[]): HeadPlan {
  const plan = headPlan(small, large);
  if (!supported.includes(plan)) {
    const s = dims(small);
    const l = dims(large);
    const f = sizeFields(large);
    const fix = plan === 'wider-heads' ? `keep head size ${s.headDim} by setting ${f.heads} to ${l.hidden / s.headDim}` : `keep ${f.heads} ${s.heads}`;
    throw new GrowError(`${method} supports ${supported.filter((p) => p !== 'same').join(' and ')} attention growth, not ${plan} (${s.heads}x${s.headDim} -> ${l.heads}x${l.headDim}): ${fix}, or use --method net2net`);
  }
  requireKvGroupsFit(method, small, large);
  return plan;
}

/**
 * Grouped-query attention under a head-copying operator (docs/growth.md, Llama): a new query head
 * must attend with a copy of the key/value head its source attended with, so each of the small
 * model's KV groups of r query heads has to fit into the new groups (r' query heads each) whose
 * key/value heads copy its own. With key/value heads copied as evenly as possible that is
 * floor(KV'/KV) r' >= r, and no head copy preserves the function otherwise (KV' < KV ceil(r/r')).
 */
function requireKvGroupsFit(method: string, small: ModelConfig, large: ModelConfig): void {
  const s = dims(small);
  const l = dims(large);
  const r = s.heads / s.kvHeads;
  const fits = (kv: number) => Math.floor(kv / s.kvHeads) * (l.heads / kv) >= r;
  if (fits(l.kvHeads)) return;
  let kv = l.kvHeads;
  while (l.heads % kv !== 0 || !fits(kv)) kv++; // the next count that fits: at the latest kv = l.heads (one query head per group)
  const need = Math.ceil(r / (l.heads / l.kvHeads));
  throw new GrowError(`${method} copies query heads only within their key/value head's group, and the small model's ${s.kvHeads} groups of ${r} query heads do not fit into ${l.kvHeads} key/value heads of ${l.heads / l.kvHeads} query heads each (each group needs ${need} of them, ${need * s.kvHeads} in all): set num_key_value_heads to ${kv} (ligo grow --kv-heads ${kv}), or widen with --method ligo`);
}

export function requireSameWidth(method: string, small: ModelConfig, large: ModelConfig): void {
  const s = dims(small);
  const l = dims(large);
  const f = sizeFields(large);
  if (isLlamaFamily(small) && isLlamaFamily(large) && small.num_key_value_heads !== large.num_key_value_heads) {
    throw new GrowError(`${method} grows depth only, but num_key_value_heads changes ${small.num_key_value_heads} -> ${large.num_key_value_heads}: keep it at ${small.num_key_value_heads} or use --method ligo`);
  }
  for (const k of ['hidden', 'heads', 'ffn'] as const) {
    if (s[k] !== l[k]) throw new GrowError(`${method} grows depth only, but ${f[k]} changes ${s[k]} -> ${l[k]}: keep it at ${s[k]} or use ${methodsGrowing('width')}`);
  }
}

export function requireSameDepth(method: string, small: ModelConfig, large: ModelConfig): void {
  const s = dims(small).layers;
  const l = dims(large).layers;
  if (s !== l) throw new GrowError(`${method} grows width only, but ${sizeFields(large).layers} changes ${s} -> ${l}: keep it at ${s} or use ${methodsGrowing('depth')}`);
}

export * from './axis-map.ts';
