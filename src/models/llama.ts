// LlamaForCausalLM, mirroring transformers' modeling_llama.py: token embeddings, pre-norm decoder
// layers (input_layernorm -> self-attention with rotary position embeddings and grouped-query
// key/value heads -> o_proj; post_attention_layernorm -> SwiGLU feed-forward
// down_proj(silu(gate_proj(x)) * up_proj(x))), a final RMSNorm (`model.norm`) and `lm_head`,
// tied to the embeddings when tie_word_embeddings is true (then left out of the state dict, as
// save_pretrained does). Linear weights are torch.nn.Linear's [out, in]; biases only when the
// config asks (attention_bias on q/k/v/o, mlp_bias on the feed-forward), as HF builds them.
// Qwen2ForCausalLM (modeling_qwen2.py) is this model with biases on q/k/v and none on o_proj or
// the feed-forward (config.ts llamaBiases); every other line of its forward and init is Llama's.
//
// Rotary embeddings follow LlamaRotaryEmbedding's default rope type: inv_freq = 1 /
// rope_theta^(2i / head_dim) in float32 (scaled as Llama 3.1 scales it under rope_scaling 'llama3':
// ropeInvFreq), angle = position * inv_freq (float32), the angles
// repeated for both halves of each head (emb = cat(freqs, freqs)), applied to q and k with
// rotate_half (T.rotary). Attention scales by head_dim^-0.5 and reads each key/value head for
// its group of query heads in place (T.attention's kvHeads: HF's repeat_kv without the copy).
// Init follows LlamaPreTrainedModel._init_weights: every Linear and the embeddings
// normal(0, initializer_range), biases zero, the padding row zero when pad_token_id is set,
// RMSNorm weights one. No dropout (HF's Llama has none besides attention_dropout, which the
// config check requires to be 0). Positions are 0..T-1 for every sequence (right padding, as the
// data here makes it); padded keys are masked by attentionMask.

import * as T from '../tensor/index.ts';
import { Rng, type Tensor } from '../tensor/index.ts';
import { addResidual, flattenParams } from '../nn/index.ts';
import { llamaBiases, validateConfig, type LlamaFamilyConfig } from './config.ts';
import { causalLm, checkIds, checkShaped, layerUses, scaleBranch, type ForwardOptions, type LayerUse, type Model, type TextBatch } from './common.ts';
import { consumes, embeddingSpec, FIXED, initTree, layerStack, loadTree, normalSpec, ParamSpec, produces, zerosSpec, type AxisRole, type LoadRules, type SpecTree } from './params.ts';

/** A torch.nn.Linear whose bias the config may leave out. */
export interface ProjParams {
  weight: Tensor; // [out, in]
  bias?: Tensor; // [out]
}

export interface RMSNormParams {
  weight: Tensor; // [dim]
}

export interface LlamaLayerParams {
  self_attn: { q_proj: ProjParams; k_proj: ProjParams; v_proj: ProjParams; o_proj: ProjParams };
  mlp: { gate_proj: ProjParams; up_proj: ProjParams; down_proj: ProjParams };
  input_layernorm: RMSNormParams;
  post_attention_layernorm: RMSNormParams;
}

export interface LlamaParams {
  model: {
    embed_tokens: { weight: Tensor }; // [vocab_size, hidden_size]
    layers: LlamaLayerParams[];
    norm: RMSNormParams;
  };
  /** Absent when tie_word_embeddings (the embeddings are the output layer). */
  lm_head?: { weight: Tensor }; // [vocab_size, hidden_size]
}

function projSpec(outF: number, inF: number, std: number, roles: { out: AxisRole; in: AxisRole }, bias: boolean): SpecTree<ProjParams> {
  const weight = normalSpec([outF, inF], std, 'weight', [produces(roles.out), consumes(roles.in)]);
  return bias ? { weight, bias: zerosSpec([outF], 'bias', [produces(roles.out)]) } : { weight };
}

/** An RMSNorm over the residual stream; `consumer`: it feeds the tied output layer (growth reads the side). */
const rmsNormSpec = (dim: number, consumer = false): SpecTree<RMSNormParams> => ({ weight: new ParamSpec([dim], { kind: 'ones' }, 'norm_weight', [consumer ? consumes('hidden') : produces('hidden')]) });

function layerSpec(c: LlamaFamilyConfig): SpecTree<LlamaLayerParams> {
  const C = c.hidden_size;
  const std = c.initializer_range;
  const q = c.num_attention_heads * c.head_dim;
  const kv = c.num_key_value_heads * c.head_dim;
  const bias = llamaBiases(c);
  return {
    self_attn: {
      q_proj: projSpec(q, C, std, { out: 'q', in: 'hidden' }, bias.qkv),
      k_proj: projSpec(kv, C, std, { out: 'k', in: 'hidden' }, bias.qkv),
      v_proj: projSpec(kv, C, std, { out: 'v', in: 'hidden' }, bias.qkv),
      // o_proj reads every query head's output: v's size only without grouped-query attention,
      // so it has a role of its own ('o'), the same for every head layout (growth between layouts).
      o_proj: projSpec(C, q, std, { out: 'hidden', in: 'o' }, bias.o),
    },
    mlp: {
      gate_proj: projSpec(c.intermediate_size, C, std, { out: 'ffn', in: 'hidden' }, bias.mlp),
      up_proj: projSpec(c.intermediate_size, C, std, { out: 'ffn', in: 'hidden' }, bias.mlp),
      down_proj: projSpec(C, c.intermediate_size, std, { out: 'hidden', in: 'ffn' }, bias.mlp),
    },
    input_layernorm: rmsNormSpec(C),
    post_attention_layernorm: rmsNormSpec(C),
  };
}

export function llamaSpec(c: LlamaFamilyConfig): SpecTree<LlamaParams> {
  const std = c.initializer_range;
  const tied = c.tie_word_embeddings;
  return {
    model: {
      embed_tokens: { weight: embeddingSpec(c.vocab_size, c.hidden_size, std, c.pad_token_id ?? undefined) },
      layers: layerStack(c.num_hidden_layers, () => layerSpec(c)),
      norm: rmsNormSpec(c.hidden_size, tied), // feeds the output layer: a consumer of the tied embeddings
    },
    ...(tied ? {} : { lm_head: { weight: normalSpec([c.vocab_size, c.hidden_size], std, 'weight', [FIXED, consumes('hidden')]) } }),
  };
}

const loadRules = (c: LlamaFamilyConfig): LoadRules => ({
  tied: c.tie_word_embeddings ? { 'lm_head.weight': 'model.embed_tokens.weight' } : {},
  ignore: [/^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/], // a buffer older transformers saved
});

const proj = (p: ProjParams, x: Tensor) => T.linear(x, p.weight, p.bias ?? null, 'out_in');
const rmsNorm = (p: RMSNormParams, x: Tensor, eps: number) => T.rmsNorm(x, p.weight, eps);

/**
 * LlamaRotaryEmbedding's inv_freq in float32: 1 / rope_theta^(2i / head_dim), then, under Llama 3.1's
 * rope_scaling, transformers' _compute_llama3_parameters (its float32 tensor steps, each rounded
 * as torch rounds them): wavelengths 2 pi / inv_freq above original / low_freq_factor are divided
 * by factor, those below original / high_freq_factor kept, the ones between mixed with
 * smooth = (original / wavelength - low) / (high - low).
 */
export function ropeInvFreq(c: LlamaFamilyConfig): number[] {
  const f = Math.fround;
  const D = c.head_dim;
  const plain = Array.from({ length: D / 2 }, (_, i) => f(1 / f(c.rope_theta ** f((2 * i) / D))));
  const s = c.rope_scaling;
  if (!s) return plain;
  const { factor, low_freq_factor: low, high_freq_factor: high, original_max_position_embeddings: old } = s;
  const [lowWavelen, highWavelen] = [f(old / low), f(old / high)];
  return plain.map((inv) => {
    const wavelen = f(f(1 / inv) * f(2 * Math.PI));
    const scaled = wavelen > lowWavelen ? f(inv / f(factor)) : inv;
    if (wavelen < highWavelen || wavelen > lowWavelen) return scaled;
    const smooth = f(f(f(f(1 / wavelen) * f(old)) - f(low)) / f(high - low));
    return f(f(f(f(1 - smooth) * scaled) / f(factor)) + f(smooth * scaled));
  });
}

/** cos and sin [T, head_dim] of positions 0..T-1, as LlamaRotaryEmbedding computes them (float32 angles). */
export function rotaryTables(c: LlamaFamilyConfig, seqLen: number, dtype: T.DType = 'float32'): { cos: Tensor; sin: Tensor } {
  const D = c.head_dim;
  const half = D / 2;
  const invFreq = ropeInvFreq(c);
  const cos = T.empty([seqLen, D], dtype);
  const sin = T.empty([seqLen, D], dtype);
  for (let t = 0; t < seqLen; t++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(t * invFreq[i]!);
      for (const j of [i, i + half]) {
        cos.f[t * D + j] = Math.cos(angle);
        sin.f[t * D + j] = Math.sin(angle);
      }
    }
  }
  return { cos, sin };
}

function attention(p: LlamaLayerParams['self_attn'], c: LlamaFamilyConfig, x: Tensor, rope: { cos: Tensor; sin: Tensor }, keyMask: Tensor | null): Tensor {
  const H = c.num_attention_heads;
  const KV = c.num_key_value_heads;
  const q = T.rotary(proj(p.q_proj, x), rope.cos, rope.sin, H); // [B, T, H*D]
  const k = T.rotary(proj(p.k_proj, x), rope.cos, rope.sin, KV); // [B, T, KV*D]
  const v = proj(p.v_proj, x);
  const ctx = T.attention(q, k, v, { heads: H, kvHeads: KV, causal: true, keyMask, scale: 1 / Math.sqrt(c.head_dim) }); // [B, T, H*D]
  return proj(p.o_proj, ctx);
}

function layer(p: LlamaLayerParams, c: LlamaFamilyConfig, x: Tensor, rope: { cos: Tensor; sin: Tensor }, keyMask: Tensor | null, use: LayerUse): Tensor {
  const eps = c.rms_norm_eps;
  const a = attention(p.self_attn, c, rmsNorm(p.input_layernorm, x, eps), rope, keyMask);
  const h = addResidual(scaleBranch(a, use), x, a); // [B, T, C]
  const n = rmsNorm(p.post_attention_layernorm, h, eps);
  const m = p.mlp;
  const o = proj(m.down_proj, T.mul(T.silu(proj(m.gate_proj, n)), proj(m.up_proj, n)));
  return addResidual(scaleBranch(o, use), h, o);
}

/** Next-token logits [B, T, vocab_size]. */
export function llamaForward(p: LlamaParams, c: LlamaFamilyConfig, batch: TextBatch, opts: ForwardOptions = {}): Tensor {
  const name = c.model_type;
  const [B, Tn] = checkIds(`${name}: batch.inputIds`, batch.inputIds, c.vocab_size, 'vocab_size');
  if (Tn > c.max_position_embeddings) throw new RangeError(`${name}: sequence length ${Tn} exceeds max_position_embeddings ${c.max_position_embeddings}`);
  const keyMask = checkShaped(`${name}: batch.attentionMask`, batch.attentionMask, [B, Tn]);
  const embed = p.model.embed_tokens.weight;
  const rope = rotaryTables(c, Tn, embed.dtype);
  let h = T.embedding(embed, batch.inputIds); // [B, T, C]
  const uses = layerUses(name, opts, p.model.layers.length);
  p.model.layers.forEach((l, i) => {
    if (uses[i]!.run) h = layer(l, c, h, rope, keyMask, uses[i]!);
  });
  h = rmsNorm(p.model.norm, h, c.rms_norm_eps);
  return T.linear(h, p.lm_head?.weight ?? embed, null, 'out_in'); // [B, T, vocab]
}

/** LlamaForCausalLM and Qwen2ForCausalLM. */
export const llamaModel: Model<LlamaFamilyConfig, LlamaParams, TextBatch> = {
  paramSpec: llamaSpec,
  initParams(c, seed) {
    validateConfig(c);
    return initTree<LlamaParams>(llamaSpec(c), new Rng(seed));
  },
  ...causalLm('llama', llamaForward),
  paramsFromFlat(c, flat) {
    validateConfig(c);
    return loadTree<LlamaParams>(llamaSpec(c), flat, loadRules(c), `paramsFromFlat (${c.model_type})`);
  },
  flatten: (p) => flattenParams(p),
  trainDropout: (_c, rng) => ({ p: 0, rng }),
};
