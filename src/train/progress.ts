// Progress of long commands on stderr, one display for all of them (training, LiGO's operator
// steps, experiments): a cli-progress bar (step, metrics, rate, ETA) when the stream is a
// terminal, otherwise one plain line every `logEvery` steps (and at the last), which reads well in
// log files and CI. The bar never hides the cursor or turns line wrapping off, so a run killed at
// any moment leaves the terminal as it was.
//
// consoleProgress adapts the display to train()'s observer: loss, learning rate, tokens/s and the
// last validation loss per step; resuming (the learning rate it resumes at, damaged checkpoints
// skipped) and checkpoints are said in both modes.

import cliProgress from 'cli-progress';
import type { EvalRecord, TrainRecord } from './log.ts';
import type { SkippedCheckpoint } from './checkpoint.ts';

export interface TrainObserver {
  /** `lr`: the learning rate of the first update to come; `skipped`: newer checkpoints that did not load. */
  onStart?(info: { startStep: number; totalSteps: number; resumedFrom: string | null; lr: number; skipped: readonly SkippedCheckpoint[] }): void;
  onStep?(r: TrainRecord): void;
  onEval?(r: EvalRecord): void;
  onCheckpoint?(dir: string, step: number): void;
  onEnd?(): void;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/** Seconds of this session before a rate or an ETA is shown: the first steps' timing (a step or two in microseconds, or one slow first step) would say nothing. */
const PACE_AFTER_SECONDS = 1;

/** Steps per second and time left, from the steps done in this session; unknown ('-', '?') for its first PACE_AFTER_SECONDS. */
class Pace {
  private readonly t0 = performance.now();
  constructor(
    private readonly startStep: number,
    private readonly totalSteps: number,
    private readonly unit: string | null = null,
  ) {}
  private seconds = () => (performance.now() - this.t0) / 1000;
  private known = (step: number) => step > this.startStep && this.seconds() >= PACE_AFTER_SECONDS;
  rate(step: number): string {
    if (!this.known(step)) return '-';
    const done = step - this.startStep;
    const perStep = this.seconds() / done;
    if (this.unit) return `${(1 / perStep).toFixed(1)} ${this.unit}/s`;
    return perStep >= 1 ? `${perStep.toFixed(1)} s/step` : `${(1 / perStep).toFixed(1)} steps/s`;
  }
  eta(step: number): string {
    return formatSeconds(this.known(step) ? (this.seconds() * (this.totalSteps - step)) / (step - this.startStep) : Number.NaN);
  }
}

/** A step counter on a stream: a bar in a terminal, lines every `logEvery` steps otherwise. */
export interface StepDisplay {
  start(total: number, startStep: number): void;
  /** The step reached and what to show beside it (e.g. 'loss 5.1234'). */
  update(step: number, metrics: string): void;
  /** A line of its own (the bar is cleared and redrawn around it). */
  note(line: string): void;
  stop(): void;
}

/** `unit` (e.g. 'MB') counts what the steps are, for the rate: '12.5 MB/s' instead of steps per second. */
export function stepDisplay(opts: { label: string; logEvery: number; stream?: NodeJS.WriteStream; unit?: string }): StepDisplay {
  const stream = opts.stream ?? process.stderr;
  let pace = new Pace(0, 0);
  let total = 0;
  if (stream.isTTY) {
    // Lines are cut at the terminal's width (most important first), never wrapped.
    const bar = new cliProgress.SingleBar({ stream, format: `${opts.label} {value}/{total} |{bar}| eta {left} | {metrics} | {rate}`, barsize: (stream.columns ?? 80) < 120 ? 10 : 20, hideCursor: false, linewrap: true }, cliProgress.Presets.shades_classic);
    let running = false;
    let last = { step: 0, metrics: '' };
    return {
      start: (t, at) => {
        total = t;
        pace = new Pace(at, t, opts.unit);
        last = { step: at, metrics: '-' };
        bar.start(t, at, { metrics: '-', rate: '-', left: '?' });
        running = true;
      },
      update: (step, metrics) => {
        last = { step, metrics };
        if (running) bar.update(step, { metrics, rate: pace.rate(step), left: pace.eta(step) });
      },
      note: (line) => {
        if (running) {
          stream.clearLine(0);
          stream.cursorTo(0);
        }
        stream.write(`${line}\n`);
        if (running) bar.update(last.step, { metrics: last.metrics });
      },
      stop: () => {
        if (running) bar.stop();
        running = false;
      },
    };
  }
  return {
    start: (t, at) => {
      total = t;
      pace = new Pace(at, t, opts.unit);
    },
    update: (step, metrics) => {
      if (step % opts.logEvery !== 0 && step !== total) return;
      const rate = pace.rate(step);
      stream.write(`${opts.label} ${step}/${total}${metrics ? ` ${metrics}` : ''}${rate === '-' ? '' : ` ${rate} eta ${pace.eta(step)}`}\n`);
    },
    note: (line) => void stream.write(`${line}\n`),
    stop: () => {},
  };
}

/** `1 step`, `1,100 steps`: a count with its noun, singular for one (the one place messages count things). */
export const plural = (n: number, word: string, words = `${word}s`) => `${n.toLocaleString('en')} ${n === 1 ? word : words}`;

/** train()'s progress on `stream` (stderr by default) through stepDisplay. */
export function consoleProgress(opts: { logEvery: number; stream?: NodeJS.WriteStream }): TrainObserver {
  const stream = opts.stream ?? process.stderr;
  const display = stepDisplay({ label: 'step', logEvery: opts.logEvery, stream });
  let val = '';
  return {
    onStart: (i) => {
      for (const c of i.skipped) display.note(`skipped checkpoint ${c.dir}: ${c.reason}; moved to ${c.movedTo}`);
      display.note(i.resumedFrom ? `resuming at step ${i.startStep} of ${i.totalSteps} from ${i.resumedFrom}, learning rate ${i.lr.toExponential(2)}` : `training for ${plural(i.totalSteps, 'step')}`);
      display.start(i.totalSteps, i.startStep);
    },
    onStep: (r) => display.update(r.step, `loss ${r.loss.toFixed(4)} lr ${r.lr.toExponential(2)} ${Math.round(r.tokensPerSecond)} tok/s${val}`),
    onEval: (r) => {
      const acc = r.valAccuracy !== undefined ? `, accuracy ${(100 * r.valAccuracy).toFixed(1)}%` : '';
      val = ` val ${r.valLoss.toFixed(4)}`;
      if (!stream.isTTY) display.note(`step ${r.step}: validation loss ${r.valLoss.toFixed(4)}${acc}`);
    },
    onCheckpoint: (dir, step) => {
      if (!stream.isTTY) display.note(`step ${step}: checkpoint ${dir}`);
    },
    onEnd: () => display.stop(),
  };
}
