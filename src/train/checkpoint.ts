// Training checkpoints: everything a run needs to continue exactly where it was.
//
//   RUN_DIR/checkpoints/step-000120/
//     model.safetensors, config.json, tokenizer.json   (a plain model checkpoint, io/checkpoint.ts)
//     optimizer.safetensors                            (AdamW moments, `${key}.exp_avg[_sq]`)
//     state.json                                       (TrainState: step, RNG states, data position, ...)
//
// A checkpoint is written into `checkpoints/.tmp-step-N-PID/` and renamed to `step-N` only when
// complete (state.json last), so a kill at any moment leaves the previous checkpoint intact; then
// all but the newest `keep` (default 2) are moved aside and deleted. Loading picks the highest
// complete `step-N` and removes leftovers of interrupted writes.
//
// Resuming never loses a run: a newest checkpoint that does not load (a truncated or unreadable
// file) is moved aside to `unusable-step-N` and the run continues from the one before, saying
// which and why; a run whose log records progress but which has no usable checkpoint is refused
// rather than trained again from step 0 over its log, until `ligo train --restart` (restartRun)
// deletes its checkpoints and log.
//
// Test hook: with LIGO_TEST_PAUSE_IN_CHECKPOINT=N the process, while writing the checkpoint of
// step N, creates `PAUSED` in the temporary directory and sleeps 60 s before finishing, so a test
// can kill it in the middle of a write; LIGO_TEST_PAUSE_IN_CHECKPOINT=stop does the same in the
// checkpoint written when a run is stopped (Ctrl-C).

import fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Tensor } from '../tensor/index.ts';
import { CONFIG_FILE, CheckpointError, MODEL_FILE, checkSafetensors, loadCheckpoint, readSafetensors, saveCheckpoint, writeFileAtomic, writeSafetensors } from '../io/index.ts';
import { LOG_FILE, loggedSteps } from './log.ts';
import { plural } from './progress.ts';

export const CHECKPOINTS_DIR = 'checkpoints';
/** Checkpoints a run keeps (the newest ones), so one damaged checkpoint does not lose the run. */
export const DEFAULT_KEEP_CHECKPOINTS = 2;
const OPTIMIZER_FILE = 'optimizer.safetensors';
const STATE_FILE = 'state.json';
const PAUSE_ENV = 'LIGO_TEST_PAUSE_IN_CHECKPOINT';

/** The loop's own state at the end of an update; JSON. */
export interface TrainState {
  /** Optimizer updates completed. */
  step: number;
  /** Learning rate of the last update (informational; the schedule recomputes it from step). */
  lr: number;
  /** Steps taken by each optimizer group (AdamW bias correction), by group name. */
  optimizerSteps: Record<string, number>;
  /** Rng.state() of the dropout generator. */
  dropoutRng: number[];
  /** The task's data position (stream position and masking RNG), opaque here. */
  data: unknown;
  flopsElectra: number;
  flopsSixN: number;
  tokens: number;
  /** Training wall time up to this checkpoint (time after it, lost in a crash, is not counted). */
  wallSeconds: number;
  /** Length of the JSONL log when this checkpoint was taken; a resumed run truncates it there. */
  logBytes: number;
  /** Token dropping: the running average MLM loss of every token id (token-drop.ts TokenImportance). */
  tokenImportance?: number[];
}

export interface TrainCheckpoint {
  config: object;
  params: Iterable<[string, Tensor]>;
  tokenizer?: unknown;
  optimizer: Map<string, Tensor>;
  state: TrainState;
}

export interface LoadedTrainCheckpoint {
  dir: string;
  config: Record<string, unknown>;
  params: Map<string, Tensor>;
  tokenizer: unknown | null;
  optimizer: Map<string, Tensor>;
  state: TrainState;
}

const stepDirName = (step: number) => `step-${String(step).padStart(6, '0')}`;

/** Complete checkpoint directories, newest first. */
function completeCheckpoints(runDir: string): { step: number; dir: string }[] {
  const root = join(runDir, CHECKPOINTS_DIR);
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .map((name) => ({ name, m: /^step-(\d+)$/.exec(name) }))
    .filter((e) => e.m !== null)
    .map((e) => ({ step: Number(e.m![1]), dir: join(root, e.name) }))
    .sort((a, b) => b.step - a.step);
}

/** The newest complete checkpoint directory of a run, or null. */
export function latestCheckpointDir(runDir: string): string | null {
  return completeCheckpoints(runDir)[0]?.dir ?? null;
}

/** A checkpoint directory as given, or a run directory's newest complete checkpoint. */
export function resolveCheckpointDir(path: string): string {
  if (!fs.existsSync(path)) throw new CheckpointError(`${path}: checkpoint directory not found`);
  if (!fs.statSync(path).isDirectory()) throw new CheckpointError(`${path} is a file; a checkpoint is a directory: did you mean ${dirname(path)}?`);
  if (fs.existsSync(join(path, CONFIG_FILE))) return path;
  const latest = latestCheckpointDir(path);
  if (latest) return latest;
  const inside = fs.readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory() && (fs.existsSync(join(path, e.name, CONFIG_FILE)) || latestCheckpointDir(join(path, e.name)) !== null));
  const hint = inside.length > 0 ? `: did you mean ${inside.map((e) => join(path, e.name)).join(' or ')}?` : '';
  throw new CheckpointError(`${path} is neither a checkpoint (no ${CONFIG_FILE}) nor a run directory with checkpoints${hint}`);
}

function pauseIfAsked(tmp: string, step: number, stopping: boolean): void {
  const at = process.env[PAUSE_ENV];
  if (at !== String(step) && !(stopping && at === 'stop')) return;
  fs.writeFileSync(join(tmp, 'PAUSED'), String(process.pid));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
}

/**
 * Writes the checkpoint of state.step atomically and deletes all but the newest `opts.keep`
 * (default DEFAULT_KEEP_CHECKPOINTS); returns its directory. `opts.stopping`: the checkpoint a
 * stopped run writes (for the test hook).
 */
export function saveTrainCheckpoint(runDir: string, ckpt: TrainCheckpoint, opts: { stopping?: boolean; keep?: number } = {}): string {
  const root = join(runDir, CHECKPOINTS_DIR);
  fs.mkdirSync(root, { recursive: true });
  const name = stepDirName(ckpt.state.step);
  const tmp = join(root, `.tmp-${name}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  saveCheckpoint(tmp, { config: ckpt.config, tensors: ckpt.params, ...(ckpt.tokenizer !== undefined ? { tokenizer: ckpt.tokenizer } : {}) });
  writeSafetensors(join(tmp, OPTIMIZER_FILE), ckpt.optimizer);
  pauseIfAsked(tmp, ckpt.state.step, opts.stopping === true);
  writeFileAtomic(join(tmp, STATE_FILE), `${JSON.stringify(ckpt.state, null, 1)}\n`);
  const final = join(root, name);
  fs.renameSync(tmp, final);
  for (const old of completeCheckpoints(runDir).filter((c) => c.step !== ckpt.state.step).slice((opts.keep ?? DEFAULT_KEEP_CHECKPOINTS) - 1)) discard(old.dir);
  return final;
}

/** Moves a directory aside (one rename) and deletes it, so no half-deleted `step-N` remains. */
function discard(dir: string): void {
  const trash = join(dir, '..', `.trash-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  fs.renameSync(dir, trash);
  fs.rmSync(trash, { recursive: true, force: true });
}

/** Deletes leftovers of interrupted writes and deletions (call while holding the run lock). */
export function removeIncompleteCheckpoints(runDir: string): void {
  const root = join(runDir, CHECKPOINTS_DIR);
  if (!fs.existsSync(root)) return;
  for (const name of fs.readdirSync(root)) if (name.startsWith('.tmp-') || name.startsWith('.trash-')) fs.rmSync(join(root, name), { recursive: true, force: true });
}

/** The newest complete checkpoint of a run, or null when it has none. */
export function loadLatestTrainCheckpoint(runDir: string): LoadedTrainCheckpoint | null {
  const dir = latestCheckpointDir(runDir);
  return dir ? loadTrainCheckpoint(dir) : null;
}

function loadTrainCheckpoint(dir: string): LoadedTrainCheckpoint {
  const model = loadCheckpoint(dir);
  const state = readTrainState(dir);
  const optimizer = readSafetensors(join(dir, OPTIMIZER_FILE)).tensors;
  return { dir, config: model.config, params: model.tensors, tokenizer: model.tokenizer, optimizer, state };
}

function readTrainState(dir: string): TrainState {
  const statePath = join(dir, STATE_FILE);
  try {
    return JSON.parse(fs.readFileSync(statePath, 'utf8')) as TrainState;
  } catch (e) {
    throw new CheckpointError(`${statePath}: cannot read the training state (${(e as Error).message})`);
  }
}

/** The training step a checkpoint directory was saved at (its state.json), or null for a checkpoint saved outside training (a grown one). */
export function checkpointStep(dir: string): number | null {
  return fs.existsSync(join(dir, STATE_FILE)) ? readTrainState(dir).step : null;
}

/**
 * The state (step, last learning rate, ...) of the checkpoint a run would resume from, or null:
 * the newest whose files pass the checks that need no tensor read (state.json and config.json
 * parse, both safetensors headers fit their files), so a truncated one is passed over as
 * loadResumeCheckpoint will.
 */
export function resumeState(runDir: string): TrainState | null {
  for (const { dir } of completeCheckpoints(runDir)) {
    try {
      JSON.parse(fs.readFileSync(join(dir, CONFIG_FILE), 'utf8'));
      for (const file of [MODEL_FILE, OPTIMIZER_FILE]) checkSafetensors(join(dir, file));
      return readTrainState(dir);
    } catch {
      // passed over
    }
  }
  return null;
}

/** A complete checkpoint that did not load when resuming: where it was, where it went, and why. */
export interface SkippedCheckpoint {
  dir: string;
  movedTo: string;
  reason: string;
}

/**
 * The checkpoint a run resumes from (call while holding the run lock): the newest that loads.
 * Newer ones that do not (truncated, unreadable) are moved aside to `unusable-step-N`, so later
 * checkpoints never mix with them, and listed with the reason.
 */
export function loadResumeCheckpoint(runDir: string): { ckpt: LoadedTrainCheckpoint | null; skipped: SkippedCheckpoint[] } {
  const skipped: SkippedCheckpoint[] = [];
  for (const { dir } of completeCheckpoints(runDir)) {
    try {
      return { ckpt: loadTrainCheckpoint(dir), skipped };
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      const movedTo = join(dirname(dir), `unusable-${basename(dir)}`);
      fs.rmSync(movedTo, { recursive: true, force: true }); // an older unusable copy of the same step
      fs.renameSync(dir, movedTo);
      skipped.push({ dir, movedTo, reason: e.message.split('\n')[0]! });
    }
  }
  return { ckpt: null, skipped };
}

/**
 * Throws when a run without a usable checkpoint has a log that records progress: training would
 * start again from step 0 and cut that log. The message says what was found and how to start over.
 */
export function refuseLostRun(runDir: string, skipped: readonly SkippedCheckpoint[] = []): void {
  const log = join(runDir, LOG_FILE);
  const steps = loggedSteps(log);
  if (steps === 0) return;
  const root = join(runDir, CHECKPOINTS_DIR);
  const found = skipped.length > 0 ? `holds no usable checkpoint (${skipped.map((c) => `${c.reason}; moved to ${c.movedTo}`).join('; ')})` : fs.existsSync(root) ? 'holds no complete checkpoint' : 'does not exist';
  throw new CheckpointError(`${log} records ${plural(steps, 'step')} but ${root} ${found}: nothing to resume from; start over with \`ligo train --out ${runDir} --restart\` (deletes its checkpoints and log), or keep them and use another --out`);
}

/** Deletes a run's checkpoints and log (call while holding the run lock), so it starts from step 0; says what it deleted. */
export function restartRun(runDir: string): string {
  const root = join(runDir, CHECKPOINTS_DIR);
  const log = join(runDir, LOG_FILE);
  const checkpoints = completeCheckpoints(runDir);
  const steps = loggedSteps(log);
  const deleted = [
    ...(fs.existsSync(root) ? [`${root} (${checkpoints.length === 0 ? 'no complete checkpoint' : `${checkpoints.length} checkpoint${checkpoints.length === 1 ? '' : 's'}, the newest at step ${checkpoints[0]!.step}`})`] : []),
    ...(fs.existsSync(log) ? [`${log} (${plural(steps, 'step')})`] : []),
  ];
  fs.rmSync(root, { recursive: true, force: true }); // checkpoints first: a kill between the two leaves a log that refuses, not a checkpoint without its log
  fs.rmSync(log, { force: true });
  return `restarting ${runDir} from step 0: ${deleted.length > 0 ? `deleted ${deleted.join(' and ')}` : 'it held no checkpoints or log'}`;
}
