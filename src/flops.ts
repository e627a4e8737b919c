// Training FLOPs of the models here, in two conventions that are reported side by side and never
// mixed in one comparison (docs/growth.md, "FLOPs"):
//
// 'electra' — the LiGO paper's counter: google-research/electra flops_computation.py
//   (TransformerHparams), which the LiGO code copies. A matmul of an [m] vector by an [m, n]
//   matrix costs 2mn; elementwise work is counted per element (DROPOUT_FLOPS, LAYER_NORM_FLOPS,
//   ACTIVATION_FLOPS, SOFTMAX_FLOPS below); the input embedding is a dense one-hot matmul
//   (2 * hidden * vocab per token); the backward pass costs the same as the forward pass, so
//   training = 2 x forward. For masked LM only MLM_OUTPUT_FRACTION (15.625%) of the positions
//   reach the head and output softmax; a sequence classifier (BertForSequenceClassification,
//   RobertaForSequenceClassification) sends one position per example through its pooler or
//   dense+tanh and the classifier instead. BERT/RoBERTa follow the file term for term, including
//   its `attn_output_layer_norm = LAYER_NORM_FLOPS` (not x hidden: an upstream slip worth
//   5 * (hidden - 1) FLOPs per token per layer, kept so that numbers match the paper's). The
//   one generalisation: ELECTRA's `tok_type_and_position = 2e(s + 2)` is 2e(s + type_vocab_size)
//   (BERT's type_vocab_size is 2). GPT-2 and ViT use the same block terms and constants,
//   applied to their own embeddings and heads (see gpt2Electra, vitElectra). Llama's block (and
//   Qwen2's, the same with q/k/v biases) has its own terms (llamaBlockPerToken): grouped-query
//   projections, rotary, RMSNorm, the gated feed-forward's three products, no dropout.
//
// '6n' — the common convention: backward = 2 x forward, so training costs 6 FLOPs per
//   parameter that takes part in a matmul, per row passing through it, plus attention:
//   forward QK^T and PV cost 2 * T * d_attn each per query token and layer, so training adds
//   3 * 4 * L * T * d_attn = 12 * L * T * d_attn per token (full T x T scores, also for causal
//   models, as the engine computes them). Counted matmul parameters: attention Q, K, V, output,
//   FFN in and out, the MLM head's dense layer and the output projection (vocab x hidden) over
//   MLM_OUTPUT_FRACTION of the positions (the engine runs the MLM head only on the labelled
//   positions, 15% under BERT's masking; ELECTRA's fraction is kept, so the count is the
//   engine's exact work when that share is labelled), GPT-2's LM head (every position), ViT's
//   patch projection (per patch) and classifier (per CLS token), BERT/RoBERTa sequence
//   classifiers' pooler (or dense) and classifier (per example); Llama's q/k/v/o (k and v at the
//   key/value heads' width), gate/up/down and lm_head (every position). Not counted: biases,
//   LayerNorm, embedding lookups, elementwise work. This is exactly the matmul work one engine training step does (checked
//   in test/flops.test.ts by counting the backend's matmul calls), except for ViT's patch
//   projection, whose input (pixels) needs no gradient: the engine does 4, not 6, FLOPs there.
//
// All functions take a config and the text sequence length (ignored by ViT, whose sequence is
// its patches plus CLS, plus the distillation token for DeiT). `trainFlopsPerStep` is what the
// training loop and the LiGO operator's cost accounting call.
//
// Layer usage (LayerTokens): how many tokens per example each transformer layer processed. By
// default every layer processes the whole sequence; a pass under progressive layer dropping has
// 0 at its skipped layers, and one under token dropping K at the middle layers (src/train). A
// layer over t tokens costs what the formulas above give for a sequence of t: its linear layers
// per token, attention t^2 (ELECTRA's per-token block terms at s = t; 6N's 12 t^2 d_attn). What
// lies outside the layers (embeddings, heads) is unchanged.

import { bertHead, llamaBiases, numLabels, dims, type BertConfig, type GPT2Config, type LlamaFamilyConfig, type ModelConfig, type ViTConfig } from './models/index.ts';

/** ELECTRA's elementwise costs: random, compare, mask multiply, rescale. */
export const DROPOUT_FLOPS = 4;
/** mean (sum), variance (square, sum), bias (add), scale (multiply). */
export const LAYER_NORM_FLOPS = 5;
/** tanh GELU: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))). */
export const ACTIVATION_FLOPS = 8;
/** max/subtract, exp, sum, divide. */
export const SOFTMAX_FLOPS = 5;
/** RMSNorm: square, sum, scale, weight. */
export const RMS_NORM_FLOPS = 4;
/** SiLU: x * sigmoid(x) (exp, add, divide, multiply). */
export const SILU_FLOPS = 4;
/** Rotary embedding per rotated element: x * cos + rotate_half(x) * sin. */
export const ROTARY_FLOPS = 3;
/** ELECTRA's output_frac: the share of MLM positions that reach the output softmax. */
export const MLM_OUTPUT_FRACTION = 0.15625;

/**
 * What training (or a growth operator) cost: FLOPs in both conventions and wall seconds. The one
 * cost type, under the names every record uses (train.jsonl, done.json, grow.json, results.json):
 * a run's cumulative cost, a growth's, the savings' costs to a target.
 */
export interface Cost {
  flopsElectra: number;
  flopsSixN: number;
  wallSeconds: number;
}

/** FLOPs alone, both conventions: a Cost without its wall time (what a config's training step costs). */
export type TrainFlops = Omit<Cost, 'wallSeconds'>;

export const zeroCost: Cost = { flopsElectra: 0, flopsSixN: 0, wallSeconds: 0 };

export function addFlops(a: TrainFlops, b: TrainFlops): TrainFlops {
  return { flopsElectra: a.flopsElectra + b.flopsElectra, flopsSixN: a.flopsSixN + b.flopsSixN };
}

export function addCost(a: Cost, b: Cost): Cost {
  return { ...addFlops(a, b), wallSeconds: a.wallSeconds + b.wallSeconds };
}

/** Only the cost fields of a record that holds more (a log record, done.json). */
export const costOf = (r: Cost): Cost => ({ flopsElectra: r.flopsElectra, flopsSixN: r.flopsSixN, wallSeconds: r.wallSeconds });

/** Named forward-pass terms (FLOPs per example); their sum is the forward cost. */
export type FlopsTerms = Record<string, number>;

/** Tokens per example processed by each transformer layer in one pass (see the header). */
export type LayerTokens = readonly number[];

interface BlockDims {
  hidden: number;
  inner: number;
  heads: number;
}

/** ELECTRA get_block_flops, per token (encoder block, no cross-attention), over a sequence of s tokens. */
function electraBlockPerToken(d: BlockDims, s: number): FlopsTerms {
  const { hidden: h, inner: i, heads } = d;
  const kqv = h;
  return {
    kqv: 3 * 2 * h * kqv,
    kqv_bias: 3 * kqv,
    attention_scores: 2 * kqv * s,
    attn_softmax: SOFTMAX_FLOPS * s * heads,
    attention_dropout: DROPOUT_FLOPS * s * heads,
    attention_scale: s * heads,
    attention_weighted_avg_values: 2 * h * s,
    attn_output: 2 * h * h,
    attn_output_bias: h,
    attn_output_dropout: DROPOUT_FLOPS * h,
    attn_output_residual: h,
    attn_output_layer_norm: LAYER_NORM_FLOPS,
    intermediate: 2 * h * i,
    intermediate_act: ACTIVATION_FLOPS * i,
    intermediate_bias: i,
    output: 2 * h * i,
    output_bias: h,
    output_dropout: DROPOUT_FLOPS * h,
    output_residual: h,
    output_layer_norm: LAYER_NORM_FLOPS * h,
  };
}

const total = (terms: FlopsTerms) => Object.values(terms).reduce((a, b) => a + b, 0);

function blocks(layerTokens: LayerTokens, d: BlockDims): number {
  return layerTokens.reduce((sum, t) => sum + t * total(electraBlockPerToken(d, t)), 0);
}

function bertElectra(c: BertConfig, seq: number, outputFraction: number, layerTokens: LayerTokens): FlopsTerms {
  const h = c.hidden_size;
  const v = c.vocab_size;
  const input = { main_multiply: 2 * h * v, tok_type_and_position: 2 * h * (seq + c.type_vocab_size), add_tok_type_and_position: 2 * h, emb_layer_norm: LAYER_NORM_FLOPS * h, emb_dropout: DROPOUT_FLOPS * h };
  return {
    embeddings: seq * total(input),
    blocks: blocks(layerTokens, { hidden: h, inner: c.intermediate_size, heads: c.num_attention_heads }),
    output: bertHead(c) === 'sequence-classification' ? total(classifierOutput(h, numLabels(c))) : outputFraction * seq * total(mlmOutput(h, v)),
  };
}

function mlmOutput(h: number, v: number): FlopsTerms {
  return { main_multiply: 2 * h * v, hidden_kernel: 2 * h * h, hidden_bias: h, hidden_activation: ACTIVATION_FLOPS * h, hidden_layernorm: LAYER_NORM_FLOPS * h, output_softmax: SOFTMAX_FLOPS * v, output_target_word: 2 * v };
}

/** Sequence classification: one position per example through the pooler (BERT) or RoBERTa's dense+tanh, then the classifier. */
function classifierOutput(h: number, labels: number): FlopsTerms {
  return { pooler_kernel: 2 * h * h, pooler_bias: h, pooler_activation: ACTIVATION_FLOPS * h, classifier: 2 * h * labels, classifier_bias: labels, output_softmax: SOFTMAX_FLOPS * labels, output_target: 2 * labels };
}

/** GPT-2: no token types, no embedding LayerNorm; a final ln_f; the tied LM head on every position. */
function gpt2Electra(c: GPT2Config, seq: number, outputFraction: number, layerTokens: LayerTokens): FlopsTerms {
  const h = c.n_embd;
  const v = c.vocab_size;
  const input = { main_multiply: 2 * h * v, position: 2 * h * seq, add_position: h, emb_dropout: DROPOUT_FLOPS * h };
  const output = { final_layer_norm: LAYER_NORM_FLOPS * h, main_multiply: 2 * h * v, output_softmax: SOFTMAX_FLOPS * v, output_target_word: 2 * v };
  return {
    embeddings: seq * total(input),
    blocks: blocks(layerTokens, { hidden: h, inner: c.n_inner ?? 4 * h, heads: c.n_head }),
    output: outputFraction * seq * total(output),
  };
}

/**
 * A Llama-family decoder layer per token over a sequence of s tokens: q at H*D, k and v at KV*D,
 * the gated feed-forward's three products; bias adds where the config has biases (Qwen2: q/k/v only).
 */
function llamaBlockPerToken(c: LlamaFamilyConfig, s: number): FlopsTerms {
  const h = c.hidden_size;
  const i = c.intermediate_size;
  const q = c.num_attention_heads * c.head_dim;
  const kv = c.num_key_value_heads * c.head_dim;
  const heads = c.num_attention_heads;
  const biases = llamaBiases(c);
  const [qkvBias, oBias, mlpBias] = [biases.qkv, biases.o, biases.mlp].map(Number) as [number, number, number];
  return {
    input_norm: RMS_NORM_FLOPS * h,
    qkv: 2 * h * (q + 2 * kv),
    qkv_bias: qkvBias * (q + 2 * kv),
    rotary: ROTARY_FLOPS * (q + kv),
    attention_scores: 2 * q * s,
    attn_softmax: SOFTMAX_FLOPS * s * heads,
    attention_scale: s * heads,
    attention_weighted_avg_values: 2 * q * s,
    attn_output: 2 * q * h,
    attn_output_bias: oBias * h,
    attn_output_residual: h,
    post_attention_norm: RMS_NORM_FLOPS * h,
    gate_up: 2 * 2 * h * i,
    gate_up_bias: mlpBias * 2 * i,
    gate_act: SILU_FLOPS * i,
    gate_multiply: i,
    down: 2 * i * h,
    down_bias: mlpBias * h,
    output_residual: h,
  };
}

/** Llama: token embeddings only (rotary positions are in the blocks); a final RMSNorm; the LM head on every position. */
function llamaElectra(c: LlamaFamilyConfig, seq: number, outputFraction: number, layerTokens: LayerTokens): FlopsTerms {
  const h = c.hidden_size;
  const v = c.vocab_size;
  const output = { final_norm: RMS_NORM_FLOPS * h, main_multiply: 2 * h * v, output_softmax: SOFTMAX_FLOPS * v, output_target_word: 2 * v };
  return {
    embeddings: seq * 2 * h * v,
    blocks: layerTokens.reduce((sum, t) => sum + t * total(llamaBlockPerToken(c, t)), 0),
    output: outputFraction * seq * total(output),
  };
}

/** ViT/DeiT: the patch projection is a matmul per patch; only CLS (and DeiT's distillation token) reach a classifier. */
function vitElectra(c: ViTConfig, layerTokens: LayerTokens): FlopsTerms {
  const d = c.hidden_size;
  const labels = c.num_labels;
  const patches = vitPatches(c);
  const seq = vitSeqLen(c);
  const patchIn = c.num_channels * c.patch_size * c.patch_size;
  const heads = c.model_type === 'deit' ? 2 : 1;
  const head = { logits: 2 * d * labels, logits_bias: labels };
  return {
    embeddings: patches * (2 * patchIn * d + d) + seq * (d + DROPOUT_FLOPS * d),
    blocks: blocks(layerTokens, { hidden: d, inner: c.intermediate_size, heads: c.num_attention_heads }),
    output: seq * LAYER_NORM_FLOPS * d + heads * total(head) + (heads - 1) * 2 * labels + (SOFTMAX_FLOPS + 2) * labels,
  };
}

export function vitPatches(c: ViTConfig): number {
  return (c.image_size / c.patch_size) ** 2;
}

/** Tokens per image: patches, CLS, and DeiT's distillation token. */
export function vitSeqLen(c: ViTConfig): number {
  return vitPatches(c) + (c.model_type === 'deit' ? 2 : 1);
}

/** Tokens one example feeds through the model: seqLen for text, the patch sequence for ViT. */
export function tokensPerExample(config: ModelConfig, seqLen: number): number {
  return isVit(config) ? vitSeqLen(config) : seqLen;
}

function isVit(c: ModelConfig): c is ViTConfig {
  return c.model_type === 'vit' || c.model_type === 'deit';
}

/** Every layer over the whole sequence: the usage of a pass that drops nothing. */
export function allLayerTokens(config: ModelConfig, seqLen: number): number[] {
  return Array.from({ length: dims(config).layers }, () => tokensPerExample(config, seqLen));
}

function checkLayerTokens(config: ModelConfig, layerTokens: LayerTokens): LayerTokens {
  if (layerTokens.length !== dims(config).layers) throw new RangeError(`flops: ${layerTokens.length} layer token counts for a model with ${dims(config).layers} layers`);
  return layerTokens;
}

export interface ElectraTermsOptions {
  /** The share of positions reaching the LM output (default 15.625% for masked LM, 1 for GPT-2; ignored for ViT). */
  outputFraction?: number;
  /** Tokens per example each layer processed (default: allLayerTokens). */
  layerTokens?: LayerTokens;
}

/** ELECTRA-convention forward FLOPs of one example, by part (embeddings, blocks, output). */
export function electraForwardTerms(config: ModelConfig, seqLen: number, opts: ElectraTermsOptions = {}): FlopsTerms {
  const layerTokens = checkLayerTokens(config, opts.layerTokens ?? allLayerTokens(config, seqLen));
  switch (config.model_type) {
    case 'bert':
    case 'roberta':
      return bertElectra(config, seqLen, opts.outputFraction ?? MLM_OUTPUT_FRACTION, layerTokens);
    case 'gpt2':
      return gpt2Electra(config, seqLen, opts.outputFraction ?? 1, layerTokens);
    case 'vit':
    case 'deit':
      return vitElectra(config, layerTokens);
    case 'llama':
    case 'qwen2':
      return llamaElectra(config, seqLen, opts.outputFraction ?? 1, layerTokens);
  }
}

/** 6N terms of the transformer layers: `params` matmul parameters per layer and token, attention width `width`. */
function sixNLayers(layerTokens: LayerTokens, params: number, width: number): { matmul: number; attention: number } {
  return { matmul: 6 * params * layerTokens.reduce((a, t) => a + t, 0), attention: 12 * width * layerTokens.reduce((a, t) => a + t * t, 0) };
}

/** 6N-convention training FLOPs of one example, split into matmul parameters and attention; layerTokens as electraForwardTerms. */
export function sixNTerms(config: ModelConfig, seqLen: number, layerTokens: LayerTokens = allLayerTokens(config, seqLen)): { matmul: number; attention: number } {
  checkLayerTokens(config, layerTokens);
  switch (config.model_type) {
    case 'bert':
    case 'roberta': {
      const h = config.hidden_size;
      const layers = sixNLayers(layerTokens, 4 * h * h + 2 * h * config.intermediate_size, h);
      // Classification: the pooler/dense and the classifier run on one position per example;
      // masked LM: the head runs on the labelled share of the positions.
      const head = bertHead(config) === 'sequence-classification' ? h * h + h * numLabels(config) : MLM_OUTPUT_FRACTION * seqLen * (h * h + config.vocab_size * h);
      return { matmul: layers.matmul + 6 * head, attention: layers.attention };
    }
    case 'gpt2': {
      const h = config.n_embd;
      const layers = sixNLayers(layerTokens, 4 * h * h + 2 * h * (config.n_inner ?? 4 * h), h);
      return { matmul: layers.matmul + 6 * seqLen * config.vocab_size * h, attention: layers.attention };
    }
    case 'vit':
    case 'deit': {
      const d = config.hidden_size;
      const heads = config.model_type === 'deit' ? 2 : 1;
      const patchParams = config.num_channels * config.patch_size * config.patch_size * d;
      const layers = sixNLayers(layerTokens, 4 * d * d + 2 * d * config.intermediate_size, d);
      return { matmul: layers.matmul + 6 * (vitPatches(config) * patchParams + heads * d * config.num_labels), attention: layers.attention };
    }
    case 'llama':
    case 'qwen2': {
      const h = config.hidden_size;
      const q = config.num_attention_heads * config.head_dim;
      const kv = config.num_key_value_heads * config.head_dim;
      const layers = sixNLayers(layerTokens, h * (2 * q + 2 * kv) + 3 * h * config.intermediate_size, q);
      return { matmul: layers.matmul + 6 * seqLen * config.vocab_size * h, attention: layers.attention };
    }
  }
}

/** Training FLOPs of one example (one sequence or image), both conventions; layerTokens as electraForwardTerms. */
export function trainFlopsPerExample(config: ModelConfig, seqLen: number, layerTokens: LayerTokens = allLayerTokens(config, seqLen)): TrainFlops {
  const six = sixNTerms(config, seqLen, layerTokens);
  return { flopsElectra: 2 * total(electraForwardTerms(config, seqLen, { layerTokens })), flopsSixN: six.matmul + six.attention };
}

/** Training FLOPs per token (per example / tokens per example), both conventions. */
export function trainFlopsPerToken(config: ModelConfig, seqLen: number): TrainFlops {
  const f = trainFlopsPerExample(config, seqLen);
  const n = tokensPerExample(config, seqLen);
  return { flopsElectra: f.flopsElectra / n, flopsSixN: f.flopsSixN / n };
}

/** Forward-only FLOPs of batchSize examples (a KI teacher's cost per step): ELECTRA = train / 2, 6N = train / 3. */
export function forwardFlopsPerStep(config: ModelConfig, shape: { batchSize: number; seqLen: number }): TrainFlops {
  const f = trainFlopsPerExample(config, shape.seqLen);
  return { flopsElectra: (shape.batchSize * f.flopsElectra) / 2, flopsSixN: (shape.batchSize * f.flopsSixN) / 3 };
}

/**
 * Training FLOPs of one optimizer step over batchSize examples (all micro-batches together), or
 * of one pass with the layer usage `layerTokens` (progressive layer dropping, token dropping).
 */
export function trainFlopsPerStep(config: ModelConfig, shape: { batchSize: number; seqLen: number; layerTokens?: LayerTokens }): TrainFlops {
  const f = trainFlopsPerExample(config, shape.seqLen, shape.layerTokens);
  return { flopsElectra: shape.batchSize * f.flopsElectra, flopsSixN: shape.batchSize * f.flopsSixN };
}
