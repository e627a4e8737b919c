// A training budget: how long and how a model trains (updates, batch, learning-rate schedule,
// AdamW decay, clipping, accumulation, evaluation and checkpoint cadence, efficient-training
// techniques). One type for everything that describes a run: `ligo train`'s flags and an
// experiment spec's `training` objects both become a TrainingBudget, with the same ranges and
// defaults (the one table of them is options.ts), and budgetSpec is the one mapping to
// TrainSpec's fields.

import type { DecayKind } from './schedule.ts';
import type { LayerDropSpec } from './layer-drop.ts';
import type { TokenDropSpec } from './token-drop.ts';
import type { TrainSpec } from './loop.ts';

export interface TrainingBudget {
  /** Optimizer updates. */
  steps: number;
  /** Examples per micro-batch. */
  batchSize: number;
  /** Peak learning rate. */
  lr: number;
  warmupSteps: number;
  decay: DecayKind;
  weightDecay: number;
  /** Global gradient-norm clip; 0 turns clipping off. */
  clipNorm: number;
  /** Micro-batches per update. */
  accumSteps: number;
  /** Validate every N updates (and at the end); 0: only at the end. */
  evalEvery: number;
  /** Checkpoint every N updates (and at the end); 0: only at the end. */
  saveEvery: number;
  /** Progressive layer dropping (layer-drop.ts); absent: off. */
  layerDrop?: LayerDropSpec;
  /** Token dropping, BERT/RoBERTa masked LM (token-drop.ts); absent: off. */
  tokenDrop?: TokenDropSpec;
}

/** Default validation cadence: 20 points on the curve, but not more often than every 10 updates (a short run would validate at every step). */
export const defaultEvalEvery = (steps: number): number => Math.min(steps, Math.max(10, Math.round(steps / 20)));
/** Default checkpoint cadence: 5 checkpoints per run. */
export const defaultSaveEvery = (steps: number): number => Math.max(1, Math.round(steps / 5));

/** What cannot work whatever the model: a one-line reason naming the fields, or null. */
export function budgetProblem(b: Pick<TrainingBudget, 'steps' | 'warmupSteps'>, names: { steps: string; warmupSteps: string } = { steps: 'steps', warmupSteps: 'warmupSteps' }): string | null {
  if (b.warmupSteps > b.steps) return `${names.warmupSteps} ${b.warmupSteps} is longer than the run's ${names.steps} ${b.steps}: warmup must end by the last update`;
  return null;
}

/** The budget's part of a TrainSpec. */
export function budgetSpec(b: TrainingBudget): Pick<TrainSpec, 'steps' | 'lr' | 'warmupSteps' | 'decay' | 'weightDecay' | 'clipNorm' | 'accumSteps' | 'evalEvery' | 'saveEvery' | 'layerDrop' | 'tokenDrop'> {
  return {
    steps: b.steps,
    lr: b.lr,
    warmupSteps: b.warmupSteps,
    decay: b.decay,
    weightDecay: b.weightDecay,
    clipNorm: b.clipNorm > 0 ? b.clipNorm : null,
    accumSteps: b.accumSteps,
    evalEvery: b.evalEvery,
    saveEvery: b.saveEvery,
    layerDrop: b.layerDrop ?? null,
    tokenDrop: b.tokenDrop ?? null,
  };
}
