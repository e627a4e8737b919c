// The loss a training step minimises, and the parameter views it is computed on.
//
// - Task loss: mean cross-entropy of the model's logits against the micro-batch's targets (the
//   same number models' loss() gives; computed here from the logits so that knowledge
//   inheritance can reuse them).
// - Knowledge inheritance (KI, Qin et al. 2022): loss = (1 - alpha) * task + alpha * KL(p_teacher
//   || p_student), the KL averaged over the positions that carry a target (MLM: masked tokens;
//   causal LM: every position but the last; classification: every example), with alpha
//   annealed linearly from its initial value to 0 over `steps` updates. The teacher (a smaller
//   model sharing the vocabulary or label set) runs forward only; its parameters are constants.
// - MSG mask ramps (GrowSchedule.maskRamp): the forward pass sees W * (1 - mask + ramp * mask)
//   with ramp = min(1, step / steps), gradients flow to W through that product.

import * as T from '../tensor/index.ts';
import type { Tensor } from '../tensor/index.ts';
import { modelFor, type ForwardOptions, type ModelConfig, type ModelParams } from '../models/index.ts';
import { IGNORE_INDEX } from '../data/index.ts';
import type { MicroBatch } from './tasks.ts';

export interface KiSpec {
  teacherConfig: ModelConfig;
  teacherParams: ModelParams;
  /** Initial weight of the distillation term, in [0, 1]. */
  alpha: number;
  /** Updates over which alpha decays linearly to 0. */
  steps: number;
}

/** alpha at update number `step` (0-based). */
export function kiAlphaAt(ki: KiSpec, step: number): number {
  return ki.alpha * Math.max(0, 1 - step / ki.steps);
}

/**
 * Mean over rows with a target of KL(softmax(teacher) || softmax(student)); logits [..., C],
 * targets the logits' shape without C. Differentiable in the student logits only.
 */
export function distillationKl(student: Tensor, teacher: Tensor, targets: Tensor): Tensor {
  const C = student.shape[student.rank - 1]!;
  if (teacher.shape.length !== student.shape.length || teacher.shape.some((d, i) => d !== student.shape[i])) {
    throw new T.ShapeError(`distillation: teacher logits [${teacher.shape.join(', ')}] and student logits [${student.shape.join(', ')}] differ (teacher and student must share the vocabulary or label set)`);
  }
  const rows = student.size / C;
  const t = targets.i;
  let counted = 0;
  for (const y of t) if (y !== IGNORE_INDEX) counted++;
  const w = new Float32Array(rows);
  for (let r = 0; r < rows; r++) w[r] = t[r] !== IGNORE_INDEX && counted > 0 ? 1 / counted : 0;
  const logQ = T.logSoftmax(T.reshape(student, [rows, C])); // [R, C]
  const logP = T.logSoftmax(T.reshape(teacher, [rows, C])); // [R, C], constant
  const perEntry = T.mul(T.exp(logP), T.sub(logP, logQ)); // [R, C]
  return T.sum(T.mul(perEntry, T.tensor(w, [rows, 1])));
}

export interface KiTerm {
  config: ModelConfig;
  params: ModelParams;
  alpha: number;
}

export interface ObjectiveParts {
  /** What the gradient is taken of. */
  loss: Tensor;
  /** The student's logits the loss reads and their targets (token dropping reads its per-token losses from them). */
  logits: Tensor;
  targets: Tensor;
  task: Tensor;
  /** alpha * KL, or null without KI. */
  kiWeighted: Tensor | null;
}

/** The loss of one micro-batch; `pass` is the student's training forward pass (dropout, dropped layers and tokens). */
export function objective(config: ModelConfig, params: ModelParams, mb: MicroBatch, pass: ForwardOptions | null, ki: KiTerm | null): ObjectiveParts {
  const { logits, targets } = modelFor(config).lossLogits(params, config, mb.batch, mb.targets, pass ?? {});
  const task = T.crossEntropy(logits, targets);
  if (!ki) return { loss: task, logits, targets, task, kiWeighted: null };
  const teacher = modelFor(ki.config).lossLogits(ki.params, ki.config, mb.batch, mb.targets); // the same rows as the student's
  const kiWeighted = T.scale(distillationKl(logits, teacher.logits, targets), ki.alpha);
  return { loss: T.add(T.scale(task, 1 - ki.alpha), kiWeighted), logits, targets, task, kiWeighted };
}

/** Weighted mean task loss over fixed batches (no dropout, no gradients). */
export function evaluate(config: ModelConfig, params: ModelParams, batches: readonly MicroBatch[]): number {
  return evaluateMetrics(config, params, batches).loss;
}

export interface EvalMetrics {
  /** Weighted mean task loss. */
  loss: number;
  /** Share of the targets (those not IGNORE_INDEX) whose highest logit is the target class. */
  accuracy: number;
}

/** Loss and argmax accuracy over fixed batches (no dropout, no gradients). */
export function evaluateMetrics(config: ModelConfig, params: ModelParams, batches: readonly MicroBatch[]): EvalMetrics {
  const model = modelFor(config);
  let sum = 0;
  let weight = 0;
  let correct = 0;
  let counted = 0;
  for (const mb of batches) {
    T.tidy(() =>
      T.noGrad(() => {
        const { logits, targets } = model.lossLogits(params, config, mb.batch, mb.targets);
        sum += T.crossEntropy(logits, targets).item() * mb.weight;
        weight += mb.weight;
        const hits = argmaxHits(logits, targets);
        correct += hits.correct;
        counted += hits.counted;
      }),
    );
  }
  return { loss: weight > 0 ? sum / weight : Number.NaN, accuracy: counted > 0 ? correct / counted : Number.NaN };
}

/** How many rows of logits [..., C] have their maximum at the target (targets: logits' shape without C). */
function argmaxHits(logits: Tensor, targets: Tensor): { correct: number; counted: number } {
  const C = logits.shape[logits.rank - 1]!;
  const x = logits.f;
  const t = targets.i;
  let correct = 0;
  let counted = 0;
  for (let r = 0; r < t.length; r++) {
    const y = t[r]!;
    if (y === IGNORE_INDEX) continue;
    counted++;
    let best = 0;
    for (let c = 1; c < C; c++) if (x[r * C + c]! > x[r * C + best]!) best = c;
    if (best === y) correct++;
  }
  return { correct, counted };
}

/** W * (1 - (1 - ramp) * mask) for every masked key (MSG), as a new parameter tree; `flat` is [key, W] pairs. */
export function rampedParams(config: ModelConfig, flat: readonly [string, Tensor][], masks: Map<string, Tensor>, ramp: number): ModelParams {
  const view = new Map(flat);
  for (const [key, mask] of masks) {
    const w = view.get(key);
    if (!w) throw new Error(`mask ramp: no parameter ${key} in the model`);
    view.set(key, T.mul(w, T.addScalar(T.scale(mask, ramp - 1), 1)));
  }
  return modelFor(config).paramsFromFlat(config, view).params;
}
