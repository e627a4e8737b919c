// The shape every growth operator shares (ARCHITECTURE.md: "a growth operator is a pure
// function"), and the structural description of a model's parameters that operators read.
//
// Operators work on flat HuggingFace state dicts (Map<HF key, Tensor>) so one implementation
// serves BERT, RoBERTa, GPT-2 and ViT/DeiT; the per-family role tables in structure.ts say what
// every axis of every parameter indexes.

import type { Tensor } from '../tensor/index.ts';
import type { ModelConfig, Batch } from '../models/index.ts';
import type { TrainFlops } from '../flops.ts';

/**
 * What one axis of a parameter indexes. Width operators expand an axis according to its role;
 * 'fixed' axes (vocabulary, positions, classes, pixels, a leading 1) never change.
 */
export type AxisRole =
  | 'hidden' // the residual stream (hidden_size / n_embd)
  | 'q' // attention query inner dim of this layer (heads * head_dim)
  | 'k'
  | 'v'
  | 'qkv' // GPT-2 c_attn's fused [q; k; v] output axis (three blocks of heads * head_dim)
  | 'ffn' // feed-forward inner dim of this layer
  | 'head' // an LM head's transform dim (BERT cls.predictions.transform, RoBERTa lm_head.dense)
  | 'fixed';

export type ParamKind = 'weight' | 'bias' | 'norm_weight' | 'norm_bias' | 'embedding' | 'token';

export interface ParamRole {
  /** The HF state-dict key. */
  key: string;
  /** Transformer layer index, or null for embeddings, heads and final norms. */
  layer: number | null;
  /** Key relative to its layer (e.g. 'attention.self.query.weight'); equal to key when layer is null. Depth operators mix parameters of the same module across layers. */
  module: string;
  kind: ParamKind;
  /** One role per tensor axis, in storage order (HF Linear [out, in]; GPT-2 Conv1D [in, out]). */
  axes: AxisRole[];
}

/** Training-loop instructions that come with a grown model (MSLT, MSG, staged training). */
export interface GrowSchedule {
  /** MSLT: keys that stay frozen until `untilStep` (only the new top layers train first). */
  freeze?: { keys: string[]; untilStep: number };
  /**
   * MSG: per key, a 0/1 tensor of the parameter's shape marking new structure; the training loop
   * uses W_eff = W * (1 - mask + ramp(step) * mask) with ramp going linearly 0 -> 1 over `steps`.
   */
  maskRamp?: { masks: Map<string, Tensor>; steps: number };
  /** LEMON's advice for after growth, when the operator has one: peak lr multiplier, fast decay. */
  lrHint?: string;
}

export interface GrowResult {
  params: Map<string, Tensor>;
  schedule?: GrowSchedule;
  /** Extra cost spent by the operator itself (LiGO's steps), for FLOPs accounting in both conventions. */
  cost?: { flops: TrainFlops; wallSeconds: number; steps: number };
  /** Files a method saves beside the grown checkpoint (LiGO: its learned operator), by file name. */
  artifacts?: { file: string; write(path: string): void }[];
}

/** Everything an operator may use besides the small model and the two configs. */
export interface GrowContext {
  seed: number;
  /** Method-specific options (validated by the method). */
  options?: Record<string, unknown>;
  /** Training batches for the LARGE model's own loss (needed by learned operators like LiGO). */
  batches?: (step: number) => Batch;
  /** Progress callback for long operators: step, total, current loss. */
  onProgress?: (step: number, total: number, loss: number) => void;
}

/** A growth operator: pure; never mutates `small`; randomness only through ctx.seed. */
export type GrowFn = (small: Map<string, Tensor>, smallConfig: ModelConfig, largeConfig: ModelConfig, ctx: GrowContext) => GrowResult;

/** One option a method takes through GrowContext.options (`ligo grow --option name=value`). */
export interface MethodOption {
  name: string;
  default: unknown;
  /** What it does, and what values it takes. */
  description: string;
}

export interface GrowMethod {
  name: string;
  description: string;
  /** The options it takes (absent: none). */
  options?: readonly MethodOption[];
  /** Which dimensions it can grow. */
  grows: { depth: boolean; width: boolean };
  /** Whether the grown model computes the same function as the small one (dropout off). */
  functionPreserving: boolean;
  /** Whether it needs ctx.batches. */
  needsData: boolean;
  grow: GrowFn;
}
