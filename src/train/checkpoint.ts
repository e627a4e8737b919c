// Training checkpoints: everything a run needs to continue exactly where it was.
//
//   RUN_DIR/checkpoints/step-000120/
//     model.safetensors, config.json, tokenizer.json   (a plain model checkpoint, io/checkpoint.ts)
//     optimizer.safetensors                            (AdamW moments, `${key}.exp_avg[_sq]`)
//     state.json                                       (TrainState: step, RNG states, data position, ...)
//
// A checkpoint is written into `checkpoints/.tmp-step-N-PID/` and renamed to `step-N` only when
// complete (state.json last), so a kill at any moment leaves the previous checkpoint intact; then
// older checkpoints are moved aside and deleted. Loading picks the highest complete `step-N` and
// removes leftovers of interrupted writes.
//
// Test hook: with LIGO_TEST_PAUSE_IN_CHECKPOINT=N the process, while writing the checkpoint of
// step N, creates `PAUSED` in the temporary directory and sleeps 60 s before finishing, so a test
// can kill it in the middle of a write; LIGO_TEST_PAUSE_IN_CHECKPOINT=stop does the same in the
// checkpoint written when a run is stopped (Ctrl-C).

import fs from 'node:fs';
import { dirname, join } from 'node:path';
import type { Tensor } from '../tensor/index.ts';
import { CONFIG_FILE, CheckpointError, loadCheckpoint, saveCheckpoint } from '../io/checkpoint.ts';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { writeFileAtomic } from '../io/atomic.ts';

export const CHECKPOINTS_DIR = 'checkpoints';
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

/** Writes the checkpoint of state.step atomically and deletes older ones; returns its directory. */
/** `opts.stopping`: the checkpoint a stopped run writes (for the test hook). */
export function saveTrainCheckpoint(runDir: string, ckpt: TrainCheckpoint, opts: { stopping?: boolean } = {}): string {
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
  for (const old of completeCheckpoints(runDir).filter((c) => c.step !== ckpt.state.step)) discard(old.dir);
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
  if (!dir) return null;
  const model = loadCheckpoint(dir);
  const statePath = join(dir, STATE_FILE);
  let state: TrainState;
  try {
    state = JSON.parse(fs.readFileSync(statePath, 'utf8')) as TrainState;
  } catch (e) {
    throw new CheckpointError(`${statePath}: cannot read the training state (${(e as Error).message})`);
  }
  const optimizer = readSafetensors(join(dir, OPTIMIZER_FILE)).tensors;
  return { dir, config: model.config, params: model.tensors, tokenizer: model.tokenizer, optimizer, state };
}
