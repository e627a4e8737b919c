// GPT2LMHeadModel, mirroring transformers' modeling_gpt2.py: token + position embeddings,
// pre-LN blocks (ln_1 -> causal attention with a fused c_attn -> c_proj, ln_2 -> c_fc ->
// activation_function (gelu_new: tanh GELU) -> c_proj), a final ln_f, and lm_head tied to wte.
// Weights are Conv1D, [in, out] (`transformer.h.N.attn.c_attn.weight` is [n_embd, 3 * n_embd]).
//
// lm_head.weight is the same tensor as transformer.wte.weight and optional when loading; the
// attn.bias / attn.masked_bias causal-mask buffers of HF checkpoints are skipped. Init follows
// GPT2PreTrainedModel._init_weights, including c_proj weights drawn with std
// initializer_range / sqrt(2 * n_layer). Dropout: one probability (ctx.p; trainDropout picks
// resid_pdrop) serves both resid_pdrop and embd_pdrop, which HF defaults equal; attn_pdrop is
// not applied (the fused attention kernel has no probability dropout). Under progressive layer
// dropping (ForwardOptions.layers) a skipped block is the identity and a running one scales its
// two residual branches by 1 / keep probability (DeepSpeed's pre-LN layer; train/layer-drop.ts).

import * as T from '../tensor/index.ts';
import { Rng, type Tensor } from '../tensor/index.ts';
import { addResidual, dropout, flattenParams, layerNorm, linear, type DropoutCtx, type LayerNormParams, type LinearParams } from '../nn/index.ts';
import { validateConfig, type GPT2Config } from './config.ts';
import { activation, causalLm, checkIds, checkShaped, layerUses, scaleBranch, type ForwardOptions, type LayerUse, type Model, type TextBatch } from './common.ts';
import { consumes, embeddingSpec, initTree, layerNormSpec, layerStack, linearSpec, loadTree, type LoadRules, type SpecTree } from './params.ts';

export interface GPT2BlockParams {
  ln_1: LayerNormParams;
  attn: { c_attn: LinearParams; c_proj: LinearParams }; // [C, 3C], [C, C]
  ln_2: LayerNormParams;
  mlp: { c_fc: LinearParams; c_proj: LinearParams }; // [C, inner], [inner, C]
}

export interface GPT2Params {
  transformer: {
    wte: { weight: Tensor }; // [vocab_size, C]
    wpe: { weight: Tensor }; // [n_positions, C]
    h: GPT2BlockParams[];
    ln_f: LayerNormParams;
  };
}

const inner = (c: GPT2Config) => c.n_inner ?? 4 * c.n_embd;

function blockSpec(c: GPT2Config): SpecTree<GPT2BlockParams> {
  const C = c.n_embd;
  const std = c.initializer_range;
  const projStd = std / Math.sqrt(2 * c.n_layer);
  return {
    ln_1: layerNormSpec(C),
    attn: { c_attn: linearSpec(3 * C, C, std, { out: 'qkv', in: 'hidden' }, 'in_out'), c_proj: linearSpec(C, C, projStd, { out: 'hidden', in: 'v' }, 'in_out') },
    ln_2: layerNormSpec(C),
    mlp: { c_fc: linearSpec(inner(c), C, std, { out: 'ffn', in: 'hidden' }, 'in_out'), c_proj: linearSpec(C, inner(c), projStd, { out: 'hidden', in: 'ffn' }, 'in_out') },
  };
}

export function gpt2Spec(c: GPT2Config): SpecTree<GPT2Params> {
  const std = c.initializer_range;
  return {
    transformer: {
      wte: { weight: embeddingSpec(c.vocab_size, c.n_embd, std) },
      wpe: { weight: embeddingSpec(c.n_positions, c.n_embd, std) },
      h: layerStack(c.n_layer, () => blockSpec(c)),
      ln_f: layerNormSpec(c.n_embd, consumes('hidden')), // feeds the tied decoder (wte)
    },
  };
}

const loadRules: LoadRules = {
  tied: { 'lm_head.weight': 'transformer.wte.weight' },
  ignore: [/^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/],
};

/** softmax(q k^T * scale) as GPT2Attention scales it (scale_attn_weights, inverse layer index). */
function attentionScale(c: GPT2Config, layerIdx: number): number {
  let s = c.scale_attn_weights ? 1 / Math.sqrt(c.n_embd / c.n_head) : 1;
  if (c.scale_attn_by_inverse_layer_idx) s /= layerIdx + 1;
  return s;
}

function attn(p: GPT2BlockParams['attn'], c: GPT2Config, x: Tensor, keyMask: Tensor | null, layerIdx: number): Tensor {
  const qkv = linear(p.c_attn, x, 'in_out'); // [B, T, 3C]: q, k, v side by side, read in place
  const ctx = T.packedAttention(qkv, { heads: c.n_head, causal: true, keyMask, scale: attentionScale(c, layerIdx) }); // [B, T, C]
  return linear(p.c_proj, ctx, 'in_out');
}

function block(p: GPT2BlockParams, c: GPT2Config, x: Tensor, keyMask: Tensor | null, layerIdx: number, drop: DropoutCtx | null, use: LayerUse): Tensor {
  const eps = c.layer_norm_epsilon;
  const a = attn(p.attn, c, layerNorm(p.ln_1, x, eps), keyMask, layerIdx);
  const h = addResidual(scaleBranch(dropout(a, drop), use), x, a); // [B, T, C]
  const f = activation(linear(p.mlp.c_fc, layerNorm(p.ln_2, h, eps), 'in_out'), c.activation_function); // [B, T, inner]
  const o = linear(p.mlp.c_proj, f, 'in_out');
  return addResidual(scaleBranch(dropout(o, drop), use), h, o);
}

/** Next-token logits [B, T, vocab_size]. */
export function gpt2Forward(p: GPT2Params, c: GPT2Config, batch: TextBatch, opts: ForwardOptions = {}): Tensor {
  const drop = opts.dropout ?? null;
  const tr = p.transformer;
  const [B, Tn] = checkIds('gpt2: batch.inputIds', batch.inputIds, c.vocab_size, 'vocab_size');
  if (Tn > c.n_positions) throw new RangeError(`gpt2: sequence length ${Tn} exceeds n_positions ${c.n_positions}`);
  const keyMask = checkShaped('gpt2: batch.attentionMask', batch.attentionMask, [B, Tn]);
  const positions = T.tensor(Array.from({ length: Tn }, (_, t) => t), [Tn], 'int32');
  let h = T.add(T.embedding(tr.wte.weight, batch.inputIds), T.embedding(tr.wpe.weight, positions)); // [B, T, C]
  h = dropout(h, drop);
  const uses = layerUses('gpt2', opts, tr.h.length);
  tr.h.forEach((blk, i) => {
    if (uses[i]!.run) h = block(blk, c, h, keyMask, i, drop, uses[i]!);
  });
  h = layerNorm(tr.ln_f, h, c.layer_norm_epsilon);
  return T.linear(h, tr.wte.weight, null, 'out_in'); // [B, T, vocab]
}

export const gpt2Model: Model<GPT2Config, GPT2Params, TextBatch> = {
  paramSpec: gpt2Spec,
  initParams(c, seed) {
    validateConfig(c);
    return initTree<GPT2Params>(gpt2Spec(c), new Rng(seed));
  },
  ...causalLm('gpt2', gpt2Forward),
  paramsFromFlat(c, flat) {
    validateConfig(c);
    return loadTree<GPT2Params>(gpt2Spec(c), flat, loadRules, 'paramsFromFlat (gpt2)');
  },
  flatten: (p) => flattenParams(p),
  trainDropout: (c, rng) => ({ p: c.resid_pdrop, rng }),
};
