// train(spec): the training loop for masked LM, causal LM, image and sequence classification.
//
// One update: `accumSteps` micro-batches, each weighted by its share of the update's loss
// targets (so two micro-batches give the same gradient as one double batch); the objective of
// objective.ts (task loss, KI distillation, MSG mask ramp); a NaN/Inf check on the loss and the
// gradient norm; clipping and AdamW (update.ts) at the schedule's learning rate (schedule.ts).
// Every update appends a JSONL record (log.ts); at step 0 and every `evalEvery` updates the fixed validation
// batches are scored (loss; for classification tasks also accuracy); every `saveEvery` updates
// (and at the end) a complete checkpoint is written atomically (checkpoint.ts). The run directory
// is locked while training (lock.ts).
//
// Efficient training, both off unless the spec asks: progressive layer dropping (layer-drop.ts)
// skips whole layers per micro-batch, token dropping (token-drop.ts) runs a masked LM's middle
// layers on the important tokens only. Each micro-batch's pass plan says which layers and tokens
// it runs; the FLOPs then count what ran (flops.ts LayerTokens), in both conventions.
//
// Resuming: a run directory that holds a checkpoint continues from its newest usable one
// (checkpoint.ts: a damaged newer one is skipped, saying why; a log with progress and no usable
// checkpoint is refused): weights, optimizer moments and step counts, the dropout RNG, the data
// position (and masking RNG), token dropping's importance table, cumulative FLOPs and tokens;
// the log is cut back to the checkpoint. With the same spec the resumed run reproduces the
// uninterrupted run's losses exactly. Both train and trainUntil stop cleanly when their stop
// signal is aborted (a checkpoint at the step reached, then return); trainUntil also yields to the
// event loop between updates, so a signal handler (Ctrl-C) can abort it.

import { join } from 'node:path';
import * as T from '../tensor/index.ts';
import { Rng, hash32, type Tensor } from '../tensor/index.ts';
import { modelFor, dims, outputClasses, tokenDropMiddle, type ForwardOptions, type ModelConfig, type ModelParams } from '../models/index.ts';
import type { GrowSchedule } from '../grow/index.ts';
import { addFlops, forwardFlopsPerStep, tokensPerExample, trainFlopsPerStep, type TrainFlops } from '../flops.ts';
import type { AdamWConfig } from '../optim/index.ts';
import { loadResumeCheckpoint, refuseLostRun, removeIncompleteCheckpoints, saveTrainCheckpoint, type TrainState } from './checkpoint.ts';
import { acquireRunLock } from './lock.ts';
import { LOG_FILE, RunLog, type EvalRecord, type TrainRecord } from './log.ts';
import { evaluateMetrics, kiAlphaAt, objective, rampedParams, type KiSpec } from './objective.ts';
import type { TrainObserver } from './progress.ts';
import { checkSchedule, lrAt, type DecayKind, type ScheduleSpec } from './schedule.ts';
import { isClassificationTask, type MicroBatch, type Task, type TaskFactory } from './tasks.ts';
import { ParamUpdater } from './update.ts';
import { checkLayerDrop, layerDropPlan, type LayerDropSpec } from './layer-drop.ts';
import { TokenImportance, checkTokenDrop, keptPositions, type TokenDropSpec } from './token-drop.ts';

export interface TrainSpec {
  runDir: string;
  config: ModelConfig;
  /** Starting weights by HF key (a pretrained or grown model); null: fresh init from `seed`. Ignored when resuming. */
  initialParams?: Map<string, Tensor> | null;
  /** tokenizer.json content, stored with every checkpoint. */
  tokenizer?: unknown;
  task: TaskFactory;
  /** Total optimizer updates. */
  steps: number;
  lr: number;
  warmupSteps: number;
  decay: DecayKind;
  weightDecay: number;
  clipNorm: number | null;
  /** Micro-batches per update. */
  accumSteps: number;
  /** Validate every N updates (and at the end); 0: only at the end. */
  evalEvery: number;
  /** Checkpoint every N updates (and at the end); 0: only at the end. */
  saveEvery: number;
  /** Checkpoints kept, the newest (default checkpoint.ts DEFAULT_KEEP_CHECKPOINTS). */
  keepCheckpoints?: number;
  seed: number;
  adam?: Partial<Pick<AdamWConfig, 'beta1' | 'beta2' | 'eps'>>;
  growSchedule?: GrowSchedule;
  ki?: KiSpec | null;
  /** Adam moments (`${key}.exp_avg[_sq]`) and step count to start a fresh run from (staged training: the small model's, grown with it); ignored when resuming. */
  initialOptimizer?: { tensors: Map<string, Tensor>; step: number } | null;
  /** Progressive layer dropping (layer-drop.ts; defaults LAYER_DROP_DEFAULTS); off when absent or null. */
  layerDrop?: LayerDropSpec | null;
  /** Token dropping, BERT/RoBERTa masked LM only (token-drop.ts; defaults TOKEN_DROP_DEFAULTS); off when absent or null. */
  tokenDrop?: TokenDropSpec | null;
  observer?: TrainObserver;
}

export interface TrainResult {
  step: number;
  /** Loss of the last update (NaN when no update ran in this call). */
  loss: number;
  valLoss: number | null;
  /** Classification tasks: validation accuracy at the last evaluation (null otherwise). */
  valAccuracy: number | null;
  flopsElectra: number;
  flopsSixN: number;
  wallSeconds: number;
  checkpointDir: string | null;
  resumedFrom: string | null;
  /** Stopped by the stop signal (train, trainUntil) before `steps` (a checkpoint at `step` was written). */
  interrupted: boolean;
}

export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  constructor(
    message: string,
    readonly step: number,
    readonly checkpointDir: string | null,
  ) {
    super(message);
  }
}

const schedule = (s: TrainSpec): ScheduleSpec => ({ peakLr: s.lr, warmupSteps: s.warmupSteps, totalSteps: s.steps, decay: s.decay });

function checkSpec(s: TrainSpec): void {
  checkSchedule(schedule(s));
  const nonNegInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`train: ${name} must be a non-negative integer, got ${v}`);
  };
  nonNegInt('evalEvery', s.evalEvery);
  nonNegInt('saveEvery', s.saveEvery);
  if (s.keepCheckpoints !== undefined && !(Number.isInteger(s.keepCheckpoints) && s.keepCheckpoints >= 1)) throw new RangeError(`train: keepCheckpoints must be a positive integer, got ${s.keepCheckpoints}`);
  if (!Number.isInteger(s.accumSteps) || s.accumSteps < 1) throw new RangeError(`train: accumSteps must be a positive integer, got ${s.accumSteps}`);
  if (s.ki && !(s.ki.alpha >= 0 && s.ki.alpha <= 1 && Number.isInteger(s.ki.steps) && s.ki.steps > 0)) throw new RangeError(`train: KI alpha must be in [0, 1] and steps a positive integer, got ${s.ki.alpha} and ${s.ki.steps}`);
  if (s.layerDrop) checkLayerDrop(s.layerDrop);
  if (s.tokenDrop) checkTokenDrop(s.config, s.tokenDrop);
}

/** Everything that changes as the run goes; saved in checkpoints. */
interface Progress {
  state: TrainState;
  dropoutRng: Rng;
  /** Token dropping's importance table (null when token dropping is off). */
  importance: TokenImportance | null;
  lastCheckpoint: string | null;
  /** The step of lastCheckpoint. */
  savedStep: number;
}

/**
 * Trains to `spec.steps`, or until `stop` is aborted: read before each update without yielding to
 * the event loop (a stop request that only a JavaScript signal handler would see needs trainUntil);
 * then a checkpoint at the step reached and `interrupted: true`, as in trainUntil.
 */
export function train(spec: TrainSpec, stop?: AbortSignal): TrainResult {
  const run = trainSteps(spec);
  for (;;) {
    const n = run.next(stop?.aborted ?? false);
    if (n.done) return n.value;
  }
}

/**
 * train() that a signal can stop: between updates it yields to the event loop (so signal
 * handlers run) and, once `stop` is aborted, writes a checkpoint at the step reached and returns
 * with `interrupted: true`.
 */
export async function trainUntil(spec: TrainSpec, stop: AbortSignal): Promise<TrainResult> {
  const run = trainSteps(spec);
  for (;;) {
    await new Promise((resolve) => setImmediate(resolve));
    const n = run.next(stop.aborted);
    if (n.done) return n.value;
  }
}

/** The run as a generator: it yields before each update; next(true) stops it (see trainUntil). */
function* trainSteps(spec: TrainSpec): Generator<number, TrainResult, boolean | undefined> {
  checkSpec(spec);
  const lock = acquireRunLock(spec.runDir);
  try {
    return yield* runLocked(spec);
  } finally {
    lock.release();
  }
}

function* runLocked(spec: TrainSpec): Generator<number, TrainResult, boolean | undefined> {
  const { config } = spec;
  const model = modelFor(config);
  removeIncompleteCheckpoints(spec.runDir);
  const { ckpt, skipped } = loadResumeCheckpoint(spec.runDir);
  if (!ckpt) refuseLostRun(spec.runDir, skipped);
  const start = ckpt ? ckpt.params : spec.initialParams ? copyParams(spec.initialParams) : new Map(model.flatten(model.initParams(config, spec.seed)));
  const tree = model.paramsFromFlat(config, start).params;
  const flat = model.flatten(tree);
  const updater = new ParamUpdater(flat, { weightDecay: spec.weightDecay, clipNorm: spec.clipNorm, ...(spec.adam ? { adam: spec.adam } : {}), ...(spec.growSchedule?.freeze ? { freeze: spec.growSchedule.freeze } : {}) });
  if (ckpt) updater.loadState(ckpt.optimizer, ckpt.state.optimizerSteps);
  else if (spec.initialOptimizer) updater.loadMoments(spec.initialOptimizer.tensors, spec.initialOptimizer.step);
  const task = spec.task(ckpt ? ckpt.state.data : null);
  const log = new RunLog(join(spec.runDir, LOG_FILE));
  log.truncate(ckpt ? ckpt.state.logBytes : 0);
  const state: TrainState = ckpt?.state ?? { step: 0, lr: 0, optimizerSteps: {}, dropoutRng: [], data: null, flopsElectra: 0, flopsSixN: 0, tokens: 0, wallSeconds: 0, logBytes: 0 };
  const progress: Progress = { state, dropoutRng: ckpt ? Rng.fromState(ckpt.state.dropoutRng) : new Rng(hash32(spec.seed, 1)), importance: tokenImportance(spec, ckpt?.state ?? null), lastCheckpoint: ckpt?.dir ?? null, savedStep: state.step };
  const backend = T.getBackend().name; // a resume on another backend cannot reproduce the losses bit for bit
  log.append(ckpt ? { type: 'resume', step: state.step, from: ckpt.dir, backend, ...(skipped.length > 0 ? { skipped } : {}) } : { type: 'start', step: 0, backend, model_type: config.model_type, task: task.kind, seed: spec.seed, steps: spec.steps, lr: spec.lr, batchSize: task.batchSize, accumSteps: spec.accumSteps, seqLen: task.seqLen });
  spec.observer?.onStart?.({ startStep: state.step, totalSteps: spec.steps, resumedFrom: ckpt?.dir ?? null, lr: lrAt(schedule(spec), state.step), skipped });
  try {
    return { ...(yield* loop(spec, { tree, flat, updater, task, log, progress })), resumedFrom: ckpt?.dir ?? null };
  } finally {
    task.close();
    spec.observer?.onEnd?.();
  }
}

/** Token dropping's importance table: the checkpoint's, else a fresh one; null when token dropping is off. */
function tokenImportance(spec: TrainSpec, saved: TrainState | null): TokenImportance | null {
  if (!spec.tokenDrop) return null;
  const vocab = outputClasses(spec.config); // a masked LM's vocabulary (checkTokenDrop)
  return saved?.tokenImportance ? TokenImportance.fromState(saved.tokenImportance, vocab) : TokenImportance.fresh(vocab);
}

/** Training updates weights in place: never those of the caller. */
function copyParams(params: Map<string, Tensor>): Map<string, Tensor> {
  return new Map([...params].map(([k, t]) => [k, T.tensor(t.data, t.shape, t.dtype)]));
}

interface Run {
  tree: ModelParams;
  flat: [string, Tensor][];
  updater: ParamUpdater;
  task: Task;
  log: RunLog;
  progress: Progress;
}

function* loop(spec: TrainSpec, run: Run): Generator<number, Omit<TrainResult, 'resumedFrom'>, boolean | undefined> {
  const { state } = run.progress;
  const sessionStart = performance.now();
  const wallAtStart = state.wallSeconds;
  const wall = () => wallAtStart + (performance.now() - sessionStart) / 1000;
  const examples = run.task.batchSize * spec.accumSteps;
  const perStep = trainFlopsPerStep(spec.config, { batchSize: examples, seqLen: run.task.seqLen });
  const teacherPerStep = spec.ki ? forwardFlopsPerStep(spec.ki.teacherConfig, { batchSize: examples, seqLen: run.task.seqLen }) : null;
  const tokensPerStep = examples * tokensPerExample(spec.config, run.task.seqLen);
  let loss = Number.NaN;
  let val: { loss: number; accuracy: number | null } | null = null;
  // A fresh run scores its initial weights, so a curve starts where its initialisation is (a
  // grown model's head start shows, and the savings can find the target reached at step 0).
  if (state.step === 0 && spec.evalEvery > 0) val = validate(spec, run, wall());
  let interrupted = false;
  while (state.step < spec.steps) {
    if (yield state.step) {
      interrupted = true;
      if (state.step > 0 && run.progress.savedStep !== state.step) save(spec, run, wall(), true);
      break;
    }
    const s = state.step;
    const lr = lrAt(schedule(spec), s);
    const alpha = spec.ki ? kiAlphaAt(spec.ki, s) : 0;
    const t0 = performance.now();
    const r = T.tidy(() => oneUpdate(spec, run, s, lr, alpha));
    if (!Number.isFinite(r.loss) || !Number.isFinite(r.gradNorm)) throw diverged(spec, s + 1, r, run.progress.lastCheckpoint, lr);
    const flops = alpha > 0 && teacherPerStep ? addFlops(r.flops ?? perStep, teacherPerStep) : (r.flops ?? perStep);
    Object.assign(state, { step: s + 1, lr, ...addFlops(state, flops), tokens: state.tokens + tokensPerStep });
    loss = r.loss;
    const record: TrainRecord = { type: 'train', step: state.step, loss: r.loss, lr, gradNorm: r.gradNorm, tokens: state.tokens, tokensPerSecond: tokensPerStep / ((performance.now() - t0) / 1000), flopsElectra: state.flopsElectra, flopsSixN: state.flopsSixN, wallSeconds: wall(), ...(spec.ki ? { kiLoss: r.kiLoss, kiAlpha: alpha } : {}) };
    run.log.append(record);
    spec.observer?.onStep?.(record);
    const last = state.step === spec.steps;
    if (last || (spec.evalEvery > 0 && state.step % spec.evalEvery === 0)) val = validate(spec, run, wall());
    if (last || (spec.saveEvery > 0 && state.step % spec.saveEvery === 0)) save(spec, run, wall());
  }
  return { step: state.step, loss, valLoss: val?.loss ?? null, valAccuracy: val?.accuracy ?? null, flopsElectra: state.flopsElectra, flopsSixN: state.flopsSixN, wallSeconds: wall(), checkpointDir: run.progress.lastCheckpoint, interrupted };
}

/** The parameter tree the forward pass uses at update `step` (MSG ramps applied while ramping). */
function treeAt(spec: TrainSpec, run: Run, step: number): ModelParams {
  const ramp = spec.growSchedule?.maskRamp;
  if (!ramp || step >= ramp.steps) return run.tree;
  return rampedParams(spec.config, run.flat, ramp.masks, step / ramp.steps);
}

interface UpdateResult {
  loss: number;
  kiLoss: number;
  gradNorm: number;
  /** FLOPs of the update's passes when layers or tokens were dropped; null: the full model's. */
  flops: TrainFlops | null;
}

/** One micro-batch's pass under layer and token dropping: what it runs, and the tokens per example each layer processes. */
interface PassPlan {
  forward: Pick<ForwardOptions, 'layers' | 'tokenKeep'>;
  layerTokens: number[];
}

/** The pass plan of micro-batch `micro` of update `step`; null when neither technique is on. */
function passPlan(spec: TrainSpec, run: Run, step: number, micro: number, mb: MicroBatch): PassPlan | null {
  if (!spec.layerDrop && !spec.tokenDrop) return null;
  const count = dims(spec.config).layers;
  const layers = spec.layerDrop ? layerDropPlan(spec.layerDrop, spec.seed, step, micro, count) : null;
  const tokenKeep = spec.tokenDrop ? keptPositions(mb, run.progress.importance!, spec.tokenDrop.keepRatio, run.task.specialIds ?? [], { seed: spec.seed, step, micro }) : null; // [B, K]
  const seq = tokensPerExample(spec.config, run.task.seqLen);
  const middle = tokenDropMiddle(count);
  const tokensAt = (i: number) => (layers && !layers[i]!.run ? 0 : tokenKeep && i >= middle.start && i < middle.end ? tokenKeep.shape[1]! : seq);
  return { forward: { layers, tokenKeep }, layerTokens: Array.from({ length: count }, (_, i) => tokensAt(i)) };
}

/** Forward + backward over the update's micro-batches, then (when finite) the optimizer step. */
function oneUpdate(spec: TrainSpec, run: Run, step: number, lr: number, alpha: number): UpdateResult {
  const { updater, progress } = run;
  const micro: MicroBatch[] = Array.from({ length: spec.accumSteps }, () => run.task.next());
  const totalWeight = micro.reduce((a, m) => a + m.weight, 0);
  const share = (m: MicroBatch) => (totalWeight > 0 ? m.weight / totalWeight : 1 / micro.length);
  const active = updater.active(step);
  const wrt = active.map((i) => run.flat[i]![1]);
  const ki = spec.ki && alpha > 0 ? { config: spec.ki.teacherConfig, params: spec.ki.teacherParams, alpha } : null;
  const model = modelFor(spec.config);
  updater.zeroGrads();
  let loss = 0;
  let kiLoss = 0;
  let flops: TrainFlops | null = null;
  micro.forEach((mb, k) => {
    T.tidy(() => {
      const plan = passPlan(spec, run, step, k, mb);
      if (plan) {
        const pass = trainFlopsPerStep(spec.config, { batchSize: run.task.batchSize, seqLen: run.task.seqLen, layerTokens: plan.layerTokens });
        flops = flops ? addFlops(flops, pass) : pass;
      }
      const { grads } = T.valueAndGrad(() => {
        const parts = objective(spec.config, treeAt(spec, run, step), mb, { dropout: model.trainDropout(spec.config, progress.dropoutRng), ...plan?.forward }, ki);
        progress.importance?.update(parts.logits, parts.targets);
        loss += share(mb) * parts.task.item();
        kiLoss += share(mb) * (parts.kiWeighted?.item() ?? 0);
        return T.scale(parts.loss, share(mb));
      }, wrt);
      updater.accumulate(active, grads);
    });
  });
  const gradNorm = updater.gradNorm(step);
  if (Number.isFinite(loss) && Number.isFinite(gradNorm)) updater.apply(step, lr, gradNorm);
  return { loss, kiLoss, gradNorm, flops };
}

function diverged(spec: TrainSpec, step: number, r: UpdateResult, checkpoint: string | null, lr: number): TrainingDivergedError {
  const what = `loss ${r.loss}, gradient norm ${r.gradNorm}`;
  const lower = (spec.lr / 2).toExponential(1);
  const advice = checkpoint
    ? `the last good checkpoint is ${checkpoint}; resume from it with a lower learning rate: \`ligo train --out ${spec.runDir} --lr ${lower} --allow-change\``
    : `no checkpoint was written yet; start again with a lower learning rate (e.g. --lr ${lower})`;
  return new TrainingDivergedError(`training diverged at step ${step} (${what}, learning rate ${lr.toExponential(2)}); stopped without updating the weights. ${advice[0]!.toUpperCase()}${advice.slice(1)}`, step, checkpoint);
}

/** Scores the validation batches; classification tasks log accuracy next to the loss. */
function validate(spec: TrainSpec, run: Run, wallSeconds: number): { loss: number; accuracy: number | null } {
  const { state } = run.progress;
  const m = T.tidy(() => evaluateMetrics(spec.config, treeAt(spec, run, state.step), run.task.validation()));
  const accuracy = isClassificationTask(run.task.kind) ? m.accuracy : null;
  const record: EvalRecord = { type: 'eval', step: state.step, valLoss: m.loss, ...(accuracy !== null ? { valAccuracy: accuracy } : {}), flopsElectra: state.flopsElectra, flopsSixN: state.flopsSixN, wallSeconds };
  run.log.append(record);
  spec.observer?.onEval?.(record);
  return { loss: m.loss, accuracy };
}

function save(spec: TrainSpec, run: Run, wallSeconds: number, stopping = false): void {
  const { state, dropoutRng, importance } = run.progress;
  const opt = run.updater.state();
  Object.assign(state, { optimizerSteps: opt.steps, dropoutRng: dropoutRng.state(), data: run.task.position(), wallSeconds, logBytes: run.log.bytes(), tokenImportance: importance?.state() });
  const dir = saveTrainCheckpoint(spec.runDir, { config: spec.config, params: run.flat, ...(spec.tokenizer !== undefined ? { tokenizer: spec.tokenizer } : {}), optimizer: opt.tensors, state: { ...state } }, { stopping, ...(spec.keepCheckpoints !== undefined ? { keep: spec.keepCheckpoints } : {}) });
  run.progress.lastCheckpoint = dir;
  run.progress.savedStep = state.step;
  spec.observer?.onCheckpoint?.(dir, state.step);
}
