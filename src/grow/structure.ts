// What every growth operator needs to know about a model's parameters, the checks before growing,
// and (from axis-map.ts, re-exported here) the width-expansion index arithmetic. LiGO's width
// matrices B (output side) and A (input side) are tied across parameters that share a dimension
// (Wang et al., ICLR 2023, §3); which dimension each axis indexes, and on which side, comes from
// the models' parameter specs (src/models/params.ts), the one description of every key; the maths is in docs/growth.md.
//
// API (stable; src/grow/ligo*.ts builds on it):
//   paramRoles(config): ParamInfo[]        every key modelFor(config).flatten() produces, in that
//                                           order, with layer, module, and the spec's kind, shape,
//                                           one AxisRole and one AxisSide per axis ('out': the axis
//                                           produces that dimension, expand it like B; 'in': it
//                                           consumes it, like A)
//   paramRoleMap(config)                    the same, keyed by HF key
//   dims(config) / withDims(config, d)      { layers, hidden, heads, kvHeads, headDim, ffn } and a config with some replaced
//   layerKey(config, layer, module)         the HF key of `module` in transformer layer `layer`
//   lnPlacement(config)                     'post' (bert, roberta) or 'pre' (gpt2, vit, deit)
//   checkGrowable(small, large)             throws GrowError (one line: why, what to change)
//   headPlan(small, large)                  'same' | 'more-heads' | 'wider-heads' (throws otherwise)
//   requireHeadPlan / requireSameDepth / requireSameWidth   operator preconditions, GrowError
//   AxisMap, gatherMap, mixMap, concatMaps  a linear map along one axis: new index j = sum of
//                                           weighted old indices; `fresh` marks new structure
//   expandAxis(t, axis, map, mode) / expandTensor(t, maps, mode) / freshMask(shape, maps)
//   Mode: 'params' | 'first-moment' | 'second-moment' (moments: weights squared for the second)
//   maskedMix(base, other, mask), addZeroSumNoise(t, axis, map, std, rng), cloneTensor(t)

import { isLlamaFamily, modelFor, specEntries, type AxisSide, type BertConfig, type GPT2Config, type LlamaFamilyConfig, type ModelConfig, type ViTConfig } from '../models/index.ts';
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

/** 'bert.encoder.layer.', 'transformer.h.', 'vit.encoder.layer.', 'model.layers.', ... */
export function layerPrefix(config: ModelConfig): string {
  if (config.model_type === 'gpt2') return 'transformer.h.';
  if (isLlamaFamily(config)) return 'model.layers.';
  return `${config.model_type}.encoder.layer.`;
}

export function layerKey(config: ModelConfig, layer: number, module: string): string {
  return `${layerPrefix(config)}${layer}.${module}`;
}

/** Every parameter of the model with its roles, in flatten() order. */
export function paramRoles(config: ModelConfig): ParamInfo[] {
  const prefix = layerPrefix(config);
  const layerRe = new RegExp(`^${prefix.replace(/\./g, '\\.')}(\\d+)\\.(.+)$`);
  return specEntries(modelFor(config).paramSpec(config)).map(([key, spec]) => {
    const m = layerRe.exec(key);
    const roles = { kind: spec.kind, axes: spec.axes.map((a) => a.role), sides: spec.axes.map((a) => a.side), shape: [...spec.shape] };
    return m ? { key, layer: Number(m[1]), module: m[2]!, ...roles } : { key, layer: null, module: key, ...roles };
  });
}

export function paramRoleMap(config: ModelConfig): Map<string, ParamInfo> {
  return new Map(paramRoles(config).map((p) => [p.key, p]));
}

// ---- dimensions and configs ---------------------------------------------------------------

export interface Dims {
  layers: number;
  hidden: number;
  heads: number;
  /** Key/value heads: Llama's num_key_value_heads (grouped-query attention), else one per query head. */
  kvHeads: number;
  headDim: number;
  ffn: number;
}

export function dims(c: ModelConfig): Dims {
  if (c.model_type === 'gpt2') return { layers: c.n_layer, hidden: c.n_embd, heads: c.n_head, kvHeads: c.n_head, headDim: c.n_embd / c.n_head, ffn: c.n_inner ?? 4 * c.n_embd };
  if (isLlamaFamily(c)) return { layers: c.num_hidden_layers, hidden: c.hidden_size, heads: c.num_attention_heads, kvHeads: c.num_key_value_heads, headDim: c.head_dim, ffn: c.intermediate_size };
  return { layers: c.num_hidden_layers, hidden: c.hidden_size, heads: c.num_attention_heads, kvHeads: c.num_attention_heads, headDim: c.hidden_size / c.num_attention_heads, ffn: c.intermediate_size };
}

/**
 * A copy of `c` with some of layers / hidden / heads / ffn replaced (HF field names set). A Llama
 * config keeps its query heads per key/value head and takes head_dim = hidden / heads.
 */
export function withDims(c: ModelConfig, d: Partial<Omit<Dims, 'headDim' | 'kvHeads'>>): ModelConfig {
  if (isLlamaFamily(c)) {
    const group = c.num_attention_heads / c.num_key_value_heads;
    const l: LlamaFamilyConfig = { ...c };
    if (d.layers !== undefined) l.num_hidden_layers = d.layers;
    if (d.hidden !== undefined) l.hidden_size = d.hidden;
    if (d.heads !== undefined) l.num_attention_heads = d.heads;
    if (d.ffn !== undefined) l.intermediate_size = d.ffn;
    if (d.heads !== undefined) l.num_key_value_heads = Math.max(1, Math.round(d.heads / group));
    if (d.hidden !== undefined || d.heads !== undefined) l.head_dim = l.hidden_size / l.num_attention_heads;
    return l;
  }
  if (c.model_type === 'gpt2') {
    const g: GPT2Config = { ...c };
    if (d.layers !== undefined) g.n_layer = d.layers;
    if (d.hidden !== undefined) g.n_embd = d.hidden;
    if (d.heads !== undefined) g.n_head = d.heads;
    if (d.ffn !== undefined) g.n_inner = d.ffn;
    return g;
  }
  const b: BertConfig | ViTConfig = { ...c };
  if (d.layers !== undefined) b.num_hidden_layers = d.layers;
  if (d.hidden !== undefined) b.hidden_size = d.hidden;
  if (d.heads !== undefined) b.num_attention_heads = d.heads;
  if (d.ffn !== undefined) b.intermediate_size = d.ffn;
  return b;
}

/**
 * Refuses widening a model whose norms are RMSNorm (Llama) by `method`, whose residual-stream map
 * keeps LayerNorm's mean and variance but not the mean of squares RMSNorm divides by.
 */
export function requireLayerNormForWidth(method: string, small: ModelConfig, large: ModelConfig, instead: string): void {
  if (!isLlamaFamily(small) || dims(small).hidden === dims(large).hidden) return;
  throw new GrowError(`${method} cannot widen llama's hidden_size ${dims(small).hidden} -> ${dims(large).hidden} losslessly: its residual-stream map keeps LayerNorm's mean and variance, and llama's RMSNorm divides by the root mean square; grow depth only with ${method}, or widen with ${instead}`);
}

/** Where each layer normalises: after its residual adds (BERT, RoBERTa) or before each branch (GPT-2, ViT, Llama). */
export function lnPlacement(c: ModelConfig): 'pre' | 'post' {
  return c.model_type === 'bert' || c.model_type === 'roberta' ? 'post' : 'pre';
}

// ---- growability --------------------------------------------------------------------------

/** Fields that must match between small and large (everything that is not a growable size). */
const sameFields: Record<string, string[]> = {
  bert: ['vocab_size', 'max_position_embeddings', 'type_vocab_size', 'hidden_act', 'layer_norm_eps', 'pad_token_id', 'position_embedding_type'],
  gpt2: ['vocab_size', 'n_positions', 'activation_function', 'layer_norm_epsilon', 'scale_attn_weights', 'scale_attn_by_inverse_layer_idx'],
  vit: ['image_size', 'patch_size', 'num_channels', 'num_labels', 'hidden_act', 'layer_norm_eps', 'qkv_bias'],
  llama: ['vocab_size', 'max_position_embeddings', 'hidden_act', 'rms_norm_eps', 'rope_theta', 'attention_bias', 'mlp_bias', 'tie_word_embeddings'],
  qwen2: ['vocab_size', 'max_position_embeddings', 'hidden_act', 'rms_norm_eps', 'rope_theta', 'tie_word_embeddings'],
};

const family = (t: string) => (t === 'roberta' ? 'bert' : t === 'deit' ? 'vit' : t);

const dimFields = (c: ModelConfig): Record<keyof Omit<Dims, 'headDim' | 'kvHeads'>, string> =>
  c.model_type === 'gpt2' ? { layers: 'n_layer', hidden: 'n_embd', heads: 'n_head', ffn: 'n_inner' } : { layers: 'num_hidden_layers', hidden: 'hidden_size', heads: 'num_attention_heads', ffn: 'intermediate_size' };

/** Throws a one-line GrowError when `small` cannot grow into `large`, saying what to change. */
export function checkGrowable(small: ModelConfig, large: ModelConfig): void {
  if (small.model_type !== large.model_type) {
    throw new GrowError(`cannot grow ${small.model_type} into ${large.model_type}: growth keeps the model family; use a ${small.model_type} target config (model_type '${small.model_type}')`);
  }
  const s = small as unknown as Record<string, unknown>;
  const l = large as unknown as Record<string, unknown>;
  for (const f of sameFields[family(small.model_type)]!) {
    if (s[f] !== l[f]) throw new GrowError(`cannot grow: ${f} differs (small ${JSON.stringify(s[f])}, large ${JSON.stringify(l[f])}); growth keeps it, so set the large config's ${f} to ${JSON.stringify(s[f])}`);
  }
  const ds = dims(small);
  const dl = dims(large);
  const names = dimFields(large);
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
    if (c.head_dim * c.num_attention_heads !== c.hidden_size) throw new GrowError(`cannot grow a llama config whose head_dim ${c.head_dim} x num_attention_heads ${c.num_attention_heads} differs from hidden_size ${c.hidden_size}: growth needs head_dim = hidden_size / num_attention_heads`);
  }
  if (small.head_dim !== large.head_dim) throw new GrowError(`llama width growth keeps head_dim (rotary embeddings rotate dimension pairs i, i + head_dim/2 of each head, and a wider head would change every pair's frequency): set the large num_attention_heads to ${large.hidden_size / small.head_dim} for head_dim ${small.head_dim}`);
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
  const f = dimFields(large);
  throw new GrowError(`attention grows in both head count (${s.heads} -> ${l.heads}) and head size (${s.headDim} -> ${l.headDim}): keep head size ${s.headDim} (${f.heads} ${l.hidden / s.headDim}) or keep ${f.heads} ${s.heads}`);
}

export function requireHeadPlan(method: string, small: ModelConfig, large: ModelConfig, supported: HeadPlan[]): HeadPlan {
  const plan = headPlan(small, large);
  if (!supported.includes(plan)) {
    const s = dims(small);
    const l = dims(large);
    const f = dimFields(large);
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
  const f = dimFields(large);
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
  if (s !== l) throw new GrowError(`${method} grows width only, but ${dimFields(large).layers} changes ${s} -> ${l}: keep it at ${s} or use ${methodsGrowing('depth')}`);
}

export * from './axis-map.ts';
