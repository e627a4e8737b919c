// What the model families share: batch types, the uniform model interface the registry
// (index.ts) exposes, the options of a forward pass (dropout, and which layers and tokens a
// training pass runs: progressive layer dropping and token dropping, src/train), HF's activation
// names (transformers' ACT2FN), and input checks that name the batch field and the bad value.

import * as T from '../tensor/index.ts';
import type { Tensor } from '../tensor/index.ts';
import type { DropoutCtx } from '../nn/index.ts';
import type { HiddenAct } from './config.ts';
import type { LoadOptions, LoadResult, SpecTree } from './params.ts';

/** A batch of token sequences (BERT, RoBERTa, GPT-2). */
export interface TextBatch {
  inputIds: Tensor; // int32 [B, T]
  /** int32 [B, T]: 1 for tokens, 0 for padding; null or absent means no padding. */
  attentionMask?: Tensor | null;
  /** int32 [B, T] (BERT); zeros when absent. */
  tokenTypeIds?: Tensor | null;
  /**
   * MLM: int32 [B, T], the masked tokens, -100 where no loss is taken; GPT-2: int32 [B, T], the
   * inputs (shifted inside); sequence classification: int32 [B], the class of each sequence.
   */
  labels?: Tensor | null;
}

/** A batch of images (ViT, DeiT). */
export interface ImageBatch {
  pixelValues: Tensor; // float [B, C, H, W]
  labels?: Tensor | null; // int32 [B]
}

export interface ForwardOptions {
  /** Hidden dropout for a training pass (probability ctx.p); none when absent. */
  dropout?: DropoutCtx | null;
  /** Progressive layer dropping (train/layer-drop.ts): one entry per layer; every layer runs unscaled when absent. */
  layers?: readonly LayerUse[] | null;
  /**
   * Token dropping (BERT/RoBERTa masked LM, train/token-drop.ts): int32 [B, K], the ascending
   * positions of each sequence that the middle layers process (bert.ts tokenDropMiddle); all when absent.
   */
  tokenKeep?: Tensor | null;
}

/** One layer's part in a training pass under progressive layer dropping. */
export interface LayerUse {
  /** Whether the layer runs; a skipped layer is the identity for the whole batch. */
  run: boolean;
  /** Its keep probability: pre-LN families (GPT-2, ViT) scale a running layer's residual branches by 1 / keepProb. */
  keepProb: number;
}

const EVERY_LAYER: LayerUse = { run: true, keepProb: 1 };

/** The per-layer uses of a forward pass with `count` layers (every layer, unscaled, when opts has none). */
export function layerUses(what: string, opts: ForwardOptions, count: number): readonly LayerUse[] {
  const uses = opts.layers;
  if (!uses) return Array.from({ length: count }, () => EVERY_LAYER);
  if (uses.length !== count) throw new RangeError(`${what}: ${uses.length} layer uses given for ${count} layers`);
  return uses;
}

/** A pre-LN residual branch as a running layer adds it: scaled by 1 / keepProb (x itself when keepProb is 1). */
export function scaleBranch(x: Tensor, use: LayerUse): Tensor {
  return use.keepProb === 1 ? x : T.scale(x, 1 / use.keepProb);
}

/**
 * One model family. Methods (not function-typed fields) so that a Model over one config type is
 * usable where the registry's union type is expected.
 */
export interface Model<C, P, B> {
  /** Parameter shapes and init rules, keyed by HF state-dict key. */
  paramSpec(config: C): SpecTree<P>;
  /** HF initialisation (normal(0, initializer_range), zero biases, LayerNorm ones), seeded. */
  initParams(config: C, seed: number): P;
  forward(params: P, config: C, batch: B, opts?: ForwardOptions): Tensor;
  /** Mean cross-entropy of forward's logits against batch.labels. */
  loss(params: P, config: C, batch: B, opts?: ForwardOptions): Tensor;
  /**
   * The logits a loss on `targets` (forward's logits' shape without the class axis, -100 where
   * none is taken) reads, with their targets: forward's logits and `targets` as they are, except
   * for masked LM, whose head runs on the labelled positions only ([K, vocab] and [K]).
   */
  lossLogits(params: P, config: C, batch: B, targets: Tensor, opts?: ForwardOptions): { logits: Tensor; targets: Tensor };
  /**
   * Params from a flat HF state dict; throws on missing or mis-shaped keys, except a task head
   * that the checkpoint lacks (a classifier on a masked-LM checkpoint), initialised fresh from opts.seed.
   */
  paramsFromFlat(config: C, flat: Map<string, Tensor>, opts?: LoadOptions): LoadResult<P>;
  /** [HF key, tensor] pairs, tied weights once (as HF's save_pretrained writes them). */
  flatten(params: P): [string, Tensor][];
  /** The dropout context a training step should pass, with the config's hidden dropout. */
  trainDropout(config: C, rng: T.Rng): DropoutCtx;
}

/**
 * labels shifted left by one (HF shifts inside GPT2LMHeadModel and LlamaForCausalLM), -100 at the
 * last position: the next-token targets for logits [B, T, vocab] (int32 [B, T] in and out).
 */
export function shiftLabels(labels: Tensor): Tensor {
  const [B, Tn] = labels.shape as [number, number];
  const out = T.empty([B, Tn], 'int32');
  const src = labels.i;
  const dst = out.i;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Tn; t++) dst[b * Tn + t] = t + 1 < Tn ? src[b * Tn + t + 1]! : -100;
  }
  return out;
}

/** What every causal LM's Model shares: next-token logits at every position, scored against the labels shifted left by one. */
export function causalLm<C, P>(name: string, forward: (p: P, c: C, batch: TextBatch, opts?: ForwardOptions) => Tensor): Pick<Model<C, P, TextBatch>, 'forward' | 'lossLogits' | 'loss'> {
  return {
    forward,
    lossLogits: (p, c, batch, targets, opts) => ({ logits: forward(p, c, batch, opts), targets }),
    loss(p, c, batch, opts) {
      const labels = requireLabels(`${name} loss`, batch.labels, batch.inputIds.shape);
      return T.crossEntropy(forward(p, c, batch, opts), shiftLabels(labels));
    },
  };
}

/** transformers' ACT2FN for the names configs use. */
export function activation(x: Tensor, name: HiddenAct): Tensor {
  switch (name) {
    case 'gelu':
      return T.gelu(x, 'erf');
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
      return T.gelu(x, 'tanh');
    case 'relu':
      return T.relu(x);
  }
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Checks int32 ids [B, T] with values in [0, high); returns [B, T]. */
export function checkIds(what: string, ids: Tensor, high: number, highName: string): [number, number] {
  if (ids.dtype !== 'int32' || ids.rank !== 2) throw new TypeError(`${what}: must be int32 [batch, seq], got ${ids.dtype} ${fmt(ids.shape)}`);
  const d = ids.i;
  for (let i = 0; i < d.length; i++) {
    if (d[i]! < 0 || d[i]! >= high) throw new RangeError(`${what}: id ${d[i]} at flat index ${i} is outside [0, ${highName} ${high})`);
  }
  return ids.shape as [number, number];
}

/** Checks an optional int32 tensor has exactly `shape`; returns it or null. */
export function checkShaped(what: string, t: Tensor | null | undefined, shape: readonly number[]): Tensor | null {
  if (!t) return null;
  if (t.dtype !== 'int32' || t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) throw new TypeError(`${what}: must be int32 ${fmt(shape)}, got ${t.dtype} ${fmt(t.shape)}`);
  return t;
}

/** batch.labels, required by loss(); `shape` is [B, T] for token labels, [B] for sequence labels. */
export function requireLabels(what: string, labels: Tensor | null | undefined, shape: readonly number[]): Tensor {
  const l = checkShaped(`${what}: batch.labels`, labels, shape);
  if (!l) throw new TypeError(`${what}: batch.labels is required (int32 ${fmt(shape)}, -100 where no loss is taken)`);
  return l;
}
