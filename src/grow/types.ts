// The shape every growth operator shares (docs/design.md: a fixed growth operator is a pure
// function), and the structural description of a model's parameters that operators read.
//
// Operators work on flat HuggingFace state dicts (Map<HF key, Tensor>) so one implementation
// serves BERT, RoBERTa, GPT-2 and ViT/DeiT; each model's parameter specs (src/models/params.ts)
// say what every axis of every parameter indexes, and structure.ts lists them per key.

import type { Tensor } from '../tensor/index.ts';
import type { AxisRole, Batch, ModelConfig, ParamKind } from '../models/index.ts';
import type { Cost } from '../flops.ts';

export type { AxisRole, ParamKind } from '../models/index.ts';

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
  /** Extra cost spent by the operator itself (LiGO's steps: its FLOPs in both conventions, its wall time), and its steps. */
  cost?: Cost & { steps: number };
  /** The options the method ran with, defaults filled, when it resolves them itself (LiGO: initFrom sets others); absent: its listed defaults with the given ones applied (record.ts resolvedOptions). */
  options?: Record<string, unknown>;
  /** Files a method saves beside the grown checkpoint (LiGO: its learned operator), by file name. */
  artifacts?: { file: string; write(path: string): void }[];
  /** A learned operator chosen on held-out batches (LiGO's keepBest): each measurement and the step kept (0: the initial operator). */
  selection?: { heldOutLosses: { step: number; loss: number }[]; keptStep: number };
}

/** Everything an operator may use besides the small model and the two configs. */
export interface GrowContext {
  seed: number;
  /** Method-specific options (validated by the method). */
  options?: Record<string, unknown>;
  /**
   * Training batches for the LARGE model's own loss (needed by learned operators like LiGO, which
   * cuts its own batch size and sequence length from them), by step.
   */
  batches?: (step: number) => Batch;
  /** Progress callback for long operators: step, total, current loss. */
  onProgress?: (step: number, total: number, loss: number) => void;
}

/** A growth operator: pure; never mutates `small`; randomness only through ctx.seed. */
export type GrowFn = (small: Map<string, Tensor>, smallConfig: ModelConfig, largeConfig: ModelConfig, ctx: GrowContext) => GrowResult;

/** One option of a growth method (GrowContext.options), as `ligo grow --method NAME --help` lists it. */
export interface MethodOption<T = unknown> {
  default: T;
  /** What a valid value is, e.g. 'a positive number', "'full' or 'code'". */
  expected: string;
  /** One line: what the option does. */
  meaning: string;
}

export interface GrowMethod {
  name: string;
  description: string;
  /** Its paper's advice on when and how to use it (growth factor, timing, what follows), shown by `ligo methods NAME`. */
  guidance?: string;
  /** Every option the method takes, by name (absent: none listed). */
  options?: Readonly<Record<string, MethodOption>>;
  /** Which dimensions it can grow. */
  grows: { depth: boolean; width: boolean };
  /** Whether the grown model computes the same function as the small one (dropout off). */
  functionPreserving: boolean;
  /** Whether it needs ctx.batches. */
  needsData: boolean;
  grow: GrowFn;
}
