// What a config says about a model's architecture, in one table per model_type: its four sizes
// (layers, hidden, heads, FFN) and their HF field names, where its layers normalise, where its
// layers' keys live, and the fields that shape its function besides the sizes. Growth operators
// (src/grow) and reports read these facts here; each parameter's layer and module come from the
// parameter specs (params.ts specEntries), the rules of growth from docs/growth.md.

import { isLlamaFamily, type ModelConfig, type ModelType } from './config.ts';

export interface Dims {
  layers: number;
  hidden: number;
  heads: number;
  /** Key/value heads: Llama's num_key_value_heads (grouped-query attention), else one per query head. */
  kvHeads: number;
  headDim: number;
  ffn: number;
}

/** The sizes a config sets (head size and key/value heads follow from them, withDims). */
export type SizeName = 'layers' | 'hidden' | 'heads' | 'ffn';

interface Architecture {
  /** HF key prefix of the transformer layers: layer N's parameter `module` is `${layers}N.${module}`. */
  layers: string;
  /** Where each layer normalises: after its residual adds ('post') or before each branch ('pre'). */
  norm: 'pre' | 'post';
  /** The HF config field of each size. */
  sizes: Record<SizeName, string>;
  /** Every other field that shapes the function (vocabulary, positions, activation, norm eps, ...); growth keeps them. */
  fixed: readonly string[];
}

const ENCODER_SIZES: Record<SizeName, string> = { layers: 'num_hidden_layers', hidden: 'hidden_size', heads: 'num_attention_heads', ffn: 'intermediate_size' };
const BERT_FIXED = ['vocab_size', 'max_position_embeddings', 'type_vocab_size', 'hidden_act', 'layer_norm_eps', 'pad_token_id', 'position_embedding_type'];
const VIT_FIXED = ['image_size', 'patch_size', 'num_channels', 'num_labels', 'hidden_act', 'layer_norm_eps', 'qkv_bias'];

const architectures: Record<ModelType, Architecture> = {
  bert: { layers: 'bert.encoder.layer.', norm: 'post', sizes: ENCODER_SIZES, fixed: BERT_FIXED },
  roberta: { layers: 'roberta.encoder.layer.', norm: 'post', sizes: ENCODER_SIZES, fixed: BERT_FIXED },
  gpt2: {
    layers: 'transformer.h.',
    norm: 'pre',
    sizes: { layers: 'n_layer', hidden: 'n_embd', heads: 'n_head', ffn: 'n_inner' },
    fixed: ['vocab_size', 'n_positions', 'activation_function', 'layer_norm_epsilon', 'scale_attn_weights', 'scale_attn_by_inverse_layer_idx'],
  },
  vit: { layers: 'vit.encoder.layer.', norm: 'pre', sizes: ENCODER_SIZES, fixed: VIT_FIXED },
  deit: { layers: 'deit.encoder.layer.', norm: 'pre', sizes: ENCODER_SIZES, fixed: VIT_FIXED },
  llama: {
    layers: 'model.layers.',
    norm: 'pre',
    sizes: ENCODER_SIZES,
    fixed: ['vocab_size', 'max_position_embeddings', 'hidden_act', 'rms_norm_eps', 'rope_theta', 'rope_scaling', 'attention_bias', 'mlp_bias', 'tie_word_embeddings'],
  },
  // Llama's decoder with q/k/v biases always on (config.ts llamaBiases): no bias fields to keep.
  qwen2: {
    layers: 'model.layers.',
    norm: 'pre',
    sizes: ENCODER_SIZES,
    fixed: ['vocab_size', 'max_position_embeddings', 'hidden_act', 'rms_norm_eps', 'rope_theta', 'rope_scaling', 'tie_word_embeddings'],
  },
};

type Fields = Record<string, number | null>;

/** The four sizes, with head size and key/value heads (GPT-2's n_inner null is 4 x n_embd, as HF reads it). */
export function dims(c: ModelConfig): Dims {
  const f = c as unknown as Fields;
  const s = sizeFields(c);
  const [layers, hidden, heads] = [f[s.layers]!, f[s.hidden]!, f[s.heads]!];
  const ffn = f[s.ffn] ?? 4 * hidden;
  if (isLlamaFamily(c)) return { layers, hidden, heads, kvHeads: c.num_key_value_heads, headDim: c.head_dim, ffn };
  return { layers, hidden, heads, kvHeads: heads, headDim: hidden / heads, ffn };
}

/**
 * A copy of `c` with some of layers / hidden / heads / ffn replaced (HF field names set). A Llama
 * config keeps its query heads per key/value head and takes head_dim = hidden / heads.
 */
export function withDims(c: ModelConfig, d: Partial<Record<SizeName, number>>): ModelConfig {
  const out = { ...c };
  const f = out as unknown as Fields;
  const s = sizeFields(c);
  for (const k of ['layers', 'hidden', 'heads', 'ffn'] as const) if (d[k] !== undefined) f[s[k]] = d[k];
  if (isLlamaFamily(out)) {
    const group = dims(c).heads / dims(c).kvHeads;
    if (d.heads !== undefined) out.num_key_value_heads = Math.max(1, Math.round(d.heads / group));
    if (d.hidden !== undefined || d.heads !== undefined) out.head_dim = out.hidden_size / out.num_attention_heads;
  }
  return out;
}

/** The HF config field of each size ('n_embd' for GPT-2's hidden size, 'hidden_size' for the others). */
export function sizeFields(c: ModelConfig): Readonly<Record<SizeName, string>> {
  return architectures[c.model_type].sizes;
}

/** The config fields besides the sizes that shape the model's function: growth keeps each of them. */
export function fixedFields(c: ModelConfig): readonly string[] {
  return architectures[c.model_type].fixed;
}

/** Where each layer normalises: after its residual adds (BERT, RoBERTa) or before each branch (GPT-2, ViT, Llama). */
export function lnPlacement(c: ModelConfig): 'pre' | 'post' {
  return architectures[c.model_type].norm;
}

/** The HF key of `module` (a spec entry's module) in transformer layer `layer`: 'bert.encoder.layer.3.output.dense.weight'. */
export function layerKey(c: ModelConfig, layer: number, module: string): string {
  return `${architectures[c.model_type].layers}${layer}.${module}`;
}
