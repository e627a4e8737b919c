// Where a model came from (docs/growth.md, "Lineage"): a `ligo train` run's run.json names what
// it started from (--from), a grown checkpoint's grow.json the checkpoint it grew and how, and a
// training checkpoint sits in its run's checkpoints/ folder; following these links gives the chain
// `ligo inspect` prints and the costs `ligo report RUN...` charges a run (every growth operator on
// the way, and, optionally, the training of the models it grew from, up to the step grown).
// run.json records its paths resolved (src/train/run-flags.ts; an older run.json's, relative to
// the directory it was started from, are read relative to the working directory); grow.json keeps
// `from` as typed and the checkpoint's absolute path (fromCheckpoint).
// Also here: a run's status (finished, running: its lock is held by a live process, or stopped
// before its last step), its data and its tokenizer, which `ligo report` compares.

import fs from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { TOKENIZER_FILE, processAlive } from '../io/index.ts';
import { readGrowRecord, tokenizerId, type GrowRecord } from '../grow/index.ts';
import { CHECKPOINTS_DIR, LOCK_FILE, LOG_FILE, checkpointStep, latestCheckpointDir, readRunFlags, readRunLog, type LogRecord, type TrainRecord } from '../train/index.ts';
import { addCost, costOf, zeroCost, type Cost } from '../flops.ts';

/** run.json, the flags `ligo train` keeps (src/train/run-flags.ts); the fields read here. */
export interface RunFlags {
  from?: string;
  config?: string;
  data?: string | string[];
  valData?: string[];
  steps?: number;
  batchSize?: number;
  seqLen?: number;
  [flag: string]: unknown;
}

/** One model in a chain: a training run (up to `step`), or a grown checkpoint. */
export type LineageNode =
  | { kind: 'trained'; dir: string; step: number; data: string | string[] | null; cost: Cost; from: string | null }
  | { kind: 'grown'; dir: string; record: GrowRecord }
  | { kind: 'checkpoint'; dir: string };

/** A run's state: its last step, the last it will train (null: not known), and whether it ended, is training or stopped. */
export interface RunStatus {
  step: number;
  steps: number | null;
  state: 'finished' | 'running' | 'stopped';
}

function readJson<T>(path: string): T | null {
  return fs.existsSync(path) ? (JSON.parse(fs.readFileSync(path, 'utf8')) as T) : null;
}

export const runFlags = (runDir: string): RunFlags | null => readRunFlags<RunFlags>(runDir);

function logRecords(runDir: string): LogRecord[] {
  const path = join(runDir, LOG_FILE);
  return fs.existsSync(path) ? readRunLog(path) : [];
}

/** The run's cumulative cost at `step` (its last train record at or before it). */
function costAt(records: LogRecord[], step: number): Cost {
  const last = records.filter((r): r is TrainRecord => r.type === 'train' && r.step <= step).at(-1);
  return last ? costOf(last) : zeroCost;
}

/** The status of a run directory; `finalStep` when the caller knows it (an experiment's budget), else run.json's --steps or the log's start record. */
export function runStatus(runDir: string, finalStep?: number): RunStatus {
  const records = logRecords(runDir);
  const step = records.reduce((s, r) => (r.type === 'train' ? Math.max(s, r.step) : s), 0);
  const started = records.find((r) => r.type === 'start') as { steps?: number } | undefined;
  const steps = finalStep ?? runFlags(runDir)?.steps ?? started?.steps ?? null;
  const owner = readJson<{ pid?: number }>(join(runDir, LOCK_FILE))?.pid;
  const running = typeof owner === 'number' && owner !== process.pid && processAlive(owner);
  return { step, steps, state: running ? 'running' : steps !== null && step < steps ? 'stopped' : 'finished' };
}

export function statusText(s: RunStatus): string {
  const of = s.steps !== null ? ` of ${s.steps}` : '';
  if (s.state === 'running') return `in progress: running, step ${s.step}${of}`;
  if (s.state === 'stopped') return `in progress: stopped at step ${s.step}${of}`;
  return 'finished';
}

/** A path as recorded: absolute, or relative to the working directory (null when it is not there any more). */
function existing(path: string | null | undefined): string | null {
  return path && fs.existsSync(path) ? resolve(path) : null;
}

/** The training run a checkpoint directory belongs to, and its step; null for a checkpoint outside a run. */
function runOfCheckpoint(dir: string): { runDir: string; step: number } | null {
  const parent = dirname(dir);
  if (basename(parent) !== CHECKPOINTS_DIR || !fs.existsSync(join(dirname(parent), LOG_FILE))) return null;
  return { runDir: dirname(parent), step: checkpointStep(dir) ?? 0 };
}

function trainedNode(runDir: string, step: number): LineageNode {
  const flags = runFlags(runDir);
  return { kind: 'trained', dir: runDir, step, data: flags?.data ?? null, cost: costAt(logRecords(runDir), step), from: flags?.from ?? null };
}

/** What `path` names (a run directory, a training checkpoint, a grown checkpoint), at the step used when it is a run grown or trained from (`step`: null for its last). */
function nodeAt(path: string, step: number | null): LineageNode {
  if (fs.existsSync(join(path, LOG_FILE))) {
    const latest = latestCheckpointDir(path);
    return trainedNode(path, step ?? (latest ? checkpointStep(latest) : null) ?? runStatus(path).step);
  }
  const record = readGrowRecord(path);
  if (record) return { kind: 'grown', dir: path, record };
  const run = runOfCheckpoint(path);
  return run ? trainedNode(run.runDir, run.step) : { kind: 'checkpoint', dir: path };
}

/** Where a node came from, or null at the chain's start (a run from scratch, a plain checkpoint) or where a path is gone. */
function parentOf(node: LineageNode): LineageNode | null {
  if (node.kind === 'trained') {
    const from = existing(node.from);
    return from ? nodeAt(from, null) : null;
  }
  if (node.kind === 'grown') {
    const from = existing(node.record.fromCheckpoint) ?? existing(node.record.from);
    return from ? nodeAt(from, node.record.fromStep) : null;
  }
  return null;
}

/** The chain from `path` (a run directory or a checkpoint) back to where it started, `path` first. */
export function lineage(path: string): LineageNode[] {
  const chain = [nodeAt(resolve(path), null)];
  for (let parent = parentOf(chain[0]!); parent && chain.length < 16; parent = parentOf(parent)) chain.push(parent);
  return chain;
}

/** What a run's lineage costs before its own training: every growth operator on the way, and the training of the models grown from (the runs before it). */
export function lineageCost(chain: LineageNode[]): { growth: Cost; ancestors: Cost } {
  let growth = zeroCost;
  let ancestors = zeroCost;
  for (const node of chain.slice(1)) {
    if (node.kind === 'grown') growth = addCost(growth, costOf(node.record.cost));
    if (node.kind === 'trained') ancestors = addCost(ancestors, node.cost);
  }
  return { growth, ancestors };
}

/** A path to show: relative to the working directory when inside it, else absolute. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

const dataText = (d: string | string[] | null) => (d === null ? 'unknown data' : Array.isArray(d) ? d.join(' ') : d);
const flops = (c: Cost) => `${c.flopsElectra.toExponential(3)} FLOPs (ELECTRA), ${c.flopsSixN.toExponential(3)} (6N), ${c.wallSeconds.toFixed(1)} s`;

/** One line per link: what each model is and where it came from. */
export function lineageLines(chain: LineageNode[]): string[] {
  return chain.map((node) => {
    if (node.kind === 'checkpoint') return `${shownPath(node.dir)}: a checkpoint with no training log or grow.json (where it came from is not recorded)`;
    if (node.kind === 'trained') return `${shownPath(node.dir)}: trained to step ${node.step} on ${dataText(node.data)} (${flops(node.cost)})${node.from ? `, starting from ${shownPath(node.from)}` : ', from scratch'}`;
    const r = node.record;
    const data = r.data !== null ? ` on ${dataText(r.data)} (batch ${r.batchSize}, sequence ${r.seqLen})` : '';
    const given = Object.entries(r.optionsGiven).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
    const defaults = r.code === null ? '' : `, ${Object.keys(r.options).length - Object.keys(r.optionsGiven).length} more at their defaults (grow.json, --json)`;
    const options = Object.keys(r.options).length > 0 ? ` with ${given || 'no options given'}${defaults}` : '';
    const steps = r.cost.operatorSteps > 0 ? `${r.cost.operatorSteps} operator steps, ` : '';
    return `${shownPath(node.dir)}: grown by ${r.method} from ${r.fromCheckpoint ? shownPath(r.fromCheckpoint) : r.from}${r.fromStep !== null ? ` (step ${r.fromStep})` : ''}${data}, seed ${r.seed}${options}; cost ${steps}${flops(r.cost)}`;
  });
}

/** What a run was trained on, as comparable text: its run.json --data (and --val-data), paths resolved; null when not recorded (an experiment's leg). */
export function runData(runDir: string): string | null {
  const f = runFlags(runDir);
  if (!f?.data) return null;
  return f.valData ? `${dataText(f.data)} (validation: ${dataText(f.valData)})` : dataText(f.data);
}

/** The tokenizer a run uses (its tokenizer.json, or its newest checkpoint's), as a TokenizerId; null for image models. */
export function runTokenizer(runDir: string): ReturnType<typeof tokenizerId> | null {
  const ckpt = latestCheckpointDir(runDir);
  const path = [join(runDir, TOKENIZER_FILE), ...(ckpt ? [join(ckpt, TOKENIZER_FILE)] : [])].find((p) => fs.existsSync(p));
  return path ? tokenizerId(JSON.parse(fs.readFileSync(path, 'utf8'))) : null;
}
