// LiGO, the learned Linear Growth Operator (Wang et al., "Learning to Grow Pretrained Models for
// Efficient Transformer Training", ICLR 2023, Sec. 3; docs/growth.md): the large model's parameters
// are M theta_small with M factored into depth and width operators (operator.ts), M is
// learned for a few steps on the large model's own loss with the small model frozen, and the
// large model is then materialised once.
//
//   learnLigo(small, smallConfig, largeConfig, ctx) -> { operator, result }
//     1. layout: which matrices M has (operator.ts), from structure.ts's axis roles;
//     2. init (init.ts): 'stackbert_noisy' depth + 'rand' width by default, or a fixed
//        operator's exact coefficients (Proposition 1);
//     3. `steps` AdamW steps (src/optim/adamw.ts) on loss(large(M theta_small), batch), gradients
//        w.r.t. M's tensors only (valueAndGrad leaves the small model constant), batches cut from
//        ctx.batches to the operator's own size (batches.ts), under the large config's
//        training dropout by default; with keepBest, the operator's loss on held-out batches
//        (set apart first, no dropout) before, every evalEvery steps and after, and the best
//        operator seen restored at the end;
//     4. theta_large = M theta_small, without gradients, into fresh buffers.
// The learned operator can be saved and loaded (io.ts). Options: options.ts.

import { modelFor, type ModelConfig } from '../../models/index.ts';
import { Rng, Tensor, collectTensors, keep, noGrad, persistent, tidy, valueAndGrad } from '../../tensor/index.ts';
import type { Batch } from '../../models/index.ts';
import { forwardFlopsPerStep, trainFlopsPerStep, type TrainFlops } from '../../flops.ts';
import { AdamW } from '../../optim/index.ts';
import { GrowError } from '../structure.ts';
import { net2netPlan } from '../net2net.ts';
import { initOperator } from './init.ts';
import { saveLigoOperator, type LigoOperator } from './io.ts';
import { applyFlops, applyOperator, describeModel, layoutFor, stackSmall, type LigoLayout, type LigoSettings, type SmallStacks } from './operator.ts';
import { ligoLr, ligoOptionDefs, parseLigoOptions, type LigoOptions, type LigoParamGroup } from './options.ts';
import { batchShape, operatorBatches } from './batches.ts';
import type { GrowContext, GrowMethod, GrowResult } from '../types.ts';

export { layoutFor } from './operator.ts';
export { readLigoOperator } from './io.ts';

/** The small model's tensors by the model's own keys (tied aliases resolved, shapes checked). */
function smallTensors(small: Map<string, Tensor>, config: ModelConfig): Map<string, Tensor> {
  const model = modelFor(config);
  return new Map(model.flatten(model.paramsFromFlat(config, small).params));
}

/** The small model prepared once for applying an operator to it. */
export function prepareSmall(layout: LigoLayout, small: Map<string, Tensor>, smallConfig: ModelConfig): SmallStacks {
  return stackSmall(layout, describeModel(smallConfig), smallTensors(small, smallConfig));
}

/** theta_large = M theta_small with no gradients, every tensor a fresh buffer outside the pool. */
export function materialise(layout: LigoLayout, op: LigoOperator, stacks: SmallStacks): Map<string, Tensor> {
  const pairs = tidy(() => noGrad(() => applyOperator(layout, op.params, stacks).map(([k, t]): [string, Tensor] => [k, persistent(t.shape, t.dtype, t.f)])));
  return new Map(pairs);
}

type Shape = { batchSize: number; seqLen: number };

/** keepBest's held-out measurements: each builds the large model once and runs it forward on every held-out batch. */
export interface HeldOutCost {
  evaluations: number;
  shapes: Shape[];
}

/**
 * LiGO's own cost, both conventions: every operator step is one training step of the large
 * model on the batch it actually used (its batchSize x seqLen; src/flops.ts) plus building the weights forward and backward (backward =
 * forward in the paper's 'electra' convention, 2 x forward in '6n'), and the final build once:
 *   cost = sum over steps of trainFlopsPerStep(large, batch) + steps * (1 + k) * B + B,
 * with B = applyFlops(layout) and k = 1 ('electra') or 2 ('6n'); with keepBest, each held-out
 * measurement adds a build and a forward pass per held-out batch (forwardFlopsPerStep).
 */
export function ligoCostFlops(layout: LigoLayout, largeConfig: ModelConfig, shapes: Shape[], heldOut: HeldOutCost = { evaluations: 0, shapes: [] }): TrainFlops {
  const build = applyFlops(layout);
  const cost = { flopsElectra: build, flopsSixN: build };
  for (const s of shapes) {
    const step = trainFlopsPerStep(largeConfig, s);
    cost.flopsElectra += step.flopsElectra + 2 * build;
    cost.flopsSixN += step.flopsSixN + 3 * build;
  }
  for (let e = 0; e < heldOut.evaluations; e++) {
    cost.flopsElectra += build;
    cost.flopsSixN += build;
    for (const s of heldOut.shapes) {
      const forward = forwardFlopsPerStep(largeConfig, s);
      cost.flopsElectra += forward.flopsElectra;
      cost.flopsSixN += forward.flopsSixN;
    }
  }
  return cost;
}

/** keepBest's record: the held-out loss at each measurement and the step whose operator was kept (0: the initial one). */
export interface OperatorSelection {
  heldOutLosses: { step: number; loss: number }[];
  keptStep: number;
}

interface TrainLog {
  losses: number[];
  shapes: Shape[];
  selection: OperatorSelection | null;
  heldOutShapes: Shape[];
}

/** The mean loss of the large model built from `op` on the held-out batches, without dropout or gradients. */
function heldOutLoss(layout: LigoLayout, op: LigoOperator, stacks: SmallStacks, batches: readonly Batch[]): number {
  const config = op.largeConfig;
  const model = modelFor(config);
  return tidy(() =>
    noGrad(() => {
      const large = model.paramsFromFlat(config, new Map(applyOperator(layout, op.params, stacks))).params;
      return batches.reduce((sum, b) => sum + model.loss(large, config, b).item(), 0) / batches.length;
    }),
  );
}

/** Remembers the operator with the lowest held-out loss (a copy of its coefficients) and puts it back. */
function bestKeeper(tensors: Tensor[]) {
  let best: { loss: number; step: number; values: Float32Array[] | Float64Array[] } | null = null;
  const seen: { step: number; loss: number }[] = [];
  return {
    offer(step: number, loss: number) {
      seen.push({ step, loss });
      if (best === null || loss < best.loss) best = { loss, step, values: tensors.map((t) => t.f.slice()) as Float32Array[] };
    },
    restore(): OperatorSelection {
      const b = best!;
      tensors.forEach((t, i) => t.f.set(b.values[i]!));
      return { heldOutLosses: seen, keptStep: b.step };
    },
  };
}

/**
 * `o.steps` AdamW steps on the large model's loss w.r.t. the operator's tensors (in place), on
 * batches cut to o.batchSize x o.seqLen, with the large config's training dropout unless
 * o.dropout is false; width matrices and depth coefficients each at their group's rate.
 */
export function trainOperator(layout: LigoLayout, op: LigoOperator, stacks: SmallStacks, o: LigoOptions, ctx: GrowContext): TrainLog {
  if (o.steps > 0 && !ctx.batches) throw new GrowError('ligo: needs training batches for the large model (GrowContext.batches)');
  const config = op.largeConfig;
  const model = modelFor(config);
  const names = Object.keys(op.params);
  const tensors = names.map((n) => op.params[n]!);
  const groups = names.map((n): LigoParamGroup => (n.startsWith('depth.') ? 'depth' : 'width'));
  // Every operator tensor takes the same (default 0) decay: there are no biases or norms in M.
  const opt = new AdamW(names.map((name, i) => ({ name, tensor: tensors[i]!, decay: true })), { beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, clipNorm: o.clipNorm });
  const dropoutRng = new Rng(ctx.seed + 1);
  const batches = ctx.batches ? operatorBatches(ctx.batches, { batchSize: o.batchSize, seqLen: o.seqLen }) : null;
  const log: TrainLog = { losses: [], shapes: [], selection: null, heldOutShapes: [] };
  // keepBest: batches set apart before any step draws its own (a provider indexed by step gives those past the last step).
  const heldOut = o.keepBest && o.steps > 0 ? Array.from({ length: o.heldOutBatches }, (_, i) => tidy(() => batches!(o.steps + i))) : [];
  for (const t of collectTensors(heldOut)) keep(t);
  log.heldOutShapes = heldOut.map(batchShape);
  const keeper = heldOut.length > 0 ? bestKeeper(tensors) : null;
  keeper?.offer(0, heldOutLoss(layout, op, stacks, heldOut));
  for (let step = 0; step < o.steps; step++) {
    const loss = tidy(() => {
      const batch = batches!(step);
      log.shapes.push(batchShape(batch));
      const forward = () => {
        const large = model.paramsFromFlat(config, new Map(applyOperator(layout, op.params, stacks))).params;
        return model.loss(large, config, batch, o.dropout ? { dropout: model.trainDropout(config, dropoutRng) } : {});
      };
      const { loss, grads } = valueAndGrad(forward, tensors);
      opt.update(grads, groups.map((g) => ligoLr(o, g, step)));
      return loss.item();
    });
    log.losses.push(loss);
    ctx.onProgress?.(step + 1, o.steps, loss);
    if (keeper && ((step + 1) % o.evalEvery === 0 || step + 1 === o.steps)) keeper.offer(step + 1, heldOutLoss(layout, op, stacks, heldOut));
  }
  log.selection = keeper?.restore() ?? null;
  return log;
}

/**
 * The whole method: returns the learned operator too (so a caller can save it) and the training
 * losses. The result carries the operator as an artifact (LIGO_OPERATOR_FILE) for saving.
 */
export function learnLigo(small: Map<string, Tensor>, smallConfig: ModelConfig, largeConfig: ModelConfig, ctx: GrowContext): { operator: LigoOperator; result: GrowResult; losses: number[] } {
  const started = performance.now();
  const o = parseLigoOptions(ctx.options);
  const settings: LigoSettings = { mode: o.mode, tieInputs: o.tieInputs, order: o.order };
  const layout = layoutFor(smallConfig, largeConfig, settings);
  const stacks = prepareSmall(layout, small, smallConfig);
  const dtype = stacks.single.values().next().value?.dtype ?? 'float32';
  const fromPlan = o.initFrom === 'net2net' ? net2netPlan(smallConfig, largeConfig, { seed: ctx.seed }) : undefined;
  const params = initOperator(layout, { depth: o.depthInit, width: o.widthInit, noise: o.noise, fromPlan }, ctx.seed, dtype);
  const operator: LigoOperator = { settings, smallConfig, largeConfig, params };
  const log = trainOperator(layout, operator, stacks, o, ctx);
  const grown = materialise(layout, operator, stacks);
  const heldOut = { evaluations: log.selection?.heldOutLosses.length ?? 0, shapes: log.heldOutShapes };
  const cost = { ...ligoCostFlops(layout, largeConfig, log.shapes, heldOut), wallSeconds: (performance.now() - started) / 1000, steps: o.steps };
  const artifacts = [{ file: LIGO_OPERATOR_FILE, write: (path: string) => saveLigoOperator(path, operator) }];
  return { operator, result: { params: grown, cost, options: { ...o }, artifacts, ...(log.selection ? { selection: log.selection } : {}) }, losses: log.losses };
}

/** Where a grown checkpoint keeps the LiGO operator that built it (readLigoOperator loads it). */
export const LIGO_OPERATOR_FILE = 'ligo-operator.safetensors';

export const ligo: GrowMethod = {
  name: 'ligo',
  description: 'LiGO (Wang et al. 2023): a learned linear map from the small model to the large one, factored into depth and width operators, trained for a few steps on the large model loss',
  options: ligoOptionDefs,
  grows: { depth: true, width: true },
  functionPreserving: false,
  needsData: true,
  grow: (small, smallConfig, largeConfig, ctx) => learnLigo(small, smallConfig, largeConfig, ctx).result,
};
