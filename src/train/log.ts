// The per-run JSONL log (`RUN_DIR/train.jsonl`): one JSON object per line, appended and flushed
// as it happens. Record types: 'start' (a fresh run), 'resume' (a run continued from a
// checkpoint), 'train' (one per optimizer update) and 'eval' (validation). A resumed run first
// truncates the log to its length at the checkpoint, so steps redone after a crash appear once.
// loggedSteps reads how far a log got, so a run whose checkpoints are gone is not restarted over
// it (checkpoint.ts refuseLostRun).

import fs from 'node:fs';

export const LOG_FILE = 'train.jsonl';

export interface TrainRecord {
  type: 'train';
  /** Updates completed (1 after the first). */
  step: number;
  /** Task loss of the update (mean over its micro-batches, weighted by their targets). */
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  tokensPerSecond: number;
  flopsElectra: number;
  flopsSixN: number;
  wallSeconds: number;
  /** KI only: alpha * KL of the update, and alpha. */
  kiLoss?: number;
  kiAlpha?: number;
}

export interface EvalRecord {
  type: 'eval';
  step: number;
  valLoss: number;
  /** Classification tasks: share of validation examples whose top class is right. */
  valAccuracy?: number;
  flopsElectra: number;
  flopsSixN: number;
  wallSeconds: number;
}

export type LogRecord = TrainRecord | EvalRecord | { type: 'start' | 'resume'; step: number; [field: string]: unknown };

export class RunLog {
  constructor(readonly path: string) {}

  /** Cuts the log to `bytes` (0 empties it); creates it when missing. */
  truncate(bytes: number): void {
    if (!fs.existsSync(this.path)) fs.writeFileSync(this.path, '');
    fs.truncateSync(this.path, bytes);
  }

  append(record: LogRecord): void {
    fs.appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  bytes(): number {
    return fs.statSync(this.path).size;
  }
}

/** The records of a JSONL log. */
export function readRunLog(path: string): LogRecord[] {
  return fs
    .readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as LogRecord);
}

/** The last step a log's train records reached (0 when none, or no log); a line cut by a kill is skipped. */
export function loggedSteps(path: string): number {
  if (!fs.existsSync(path)) return 0;
  let step = 0;
  for (const line of fs.readFileSync(path, 'utf8').split('\n')) {
    try {
      const r = JSON.parse(line) as LogRecord;
      if (r.type === 'train') step = Math.max(step, r.step);
    } catch {
      // an empty line, or one a kill cut short
    }
  }
  return step;
}
