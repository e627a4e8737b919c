// Progress on stderr for a training run: a cli-progress bar (step, loss, tokens/s, ETA) when
// stderr is a terminal, otherwise one plain line every `logEvery` steps (and on every evaluation),
// which reads well in log files and CI.

import cliProgress from 'cli-progress';
import type { EvalRecord, TrainRecord } from './log.ts';

export interface TrainObserver {
  onStart?(info: { startStep: number; totalSteps: number; resumedFrom: string | null }): void;
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

/** Seconds left, from the mean step time of this session. */
class Eta {
  private readonly t0 = performance.now();
  constructor(
    private readonly startStep: number,
    private readonly totalSteps: number,
  ) {}
  secondsLeft(step: number): number {
    const done = step - this.startStep;
    return done > 0 ? (((performance.now() - this.t0) / 1000) * (this.totalSteps - step)) / done : Number.NaN;
  }
}

export function consoleProgress(opts: { logEvery: number; stream?: NodeJS.WriteStream }): TrainObserver {
  const stream = opts.stream ?? process.stderr;
  return stream.isTTY ? barProgress(stream) : lineProgress(stream, opts.logEvery);
}

function barProgress(stream: NodeJS.WriteStream): TrainObserver {
  const bar = new cliProgress.SingleBar({ stream, format: 'step {value}/{total} |{bar}| loss {loss} | {tps} tok/s | val {val} | eta {left}', hideCursor: true }, cliProgress.Presets.shades_classic);
  let eta: Eta;
  let val = '-';
  return {
    onStart: (i) => {
      eta = new Eta(i.startStep, i.totalSteps);
      bar.start(i.totalSteps, i.startStep, { loss: '-', tps: '-', val, left: '?' });
    },
    onStep: (r) => bar.update(r.step, { loss: r.loss.toFixed(4), tps: Math.round(r.tokensPerSecond), val, left: formatSeconds(eta.secondsLeft(r.step)) }),
    onEval: (r) => {
      val = r.valLoss.toFixed(4) + (r.valAccuracy !== undefined ? ` acc ${(100 * r.valAccuracy).toFixed(1)}%` : '');
      bar.update(r.step, { val });
    },
    onEnd: () => bar.stop(),
  };
}

function lineProgress(stream: NodeJS.WriteStream, logEvery: number): TrainObserver {
  let eta: Eta;
  let total = 0;
  return {
    onStart: (i) => {
      eta = new Eta(i.startStep, i.totalSteps);
      total = i.totalSteps;
      stream.write(i.resumedFrom ? `resuming at step ${i.startStep} from ${i.resumedFrom}\n` : `training for ${i.totalSteps} steps\n`);
    },
    onStep: (r) => {
      if (r.step % logEvery !== 0 && r.step !== total) return;
      stream.write(`step ${r.step}/${total} loss ${r.loss.toFixed(4)} lr ${r.lr.toExponential(2)} ${Math.round(r.tokensPerSecond)} tok/s eta ${formatSeconds(eta.secondsLeft(r.step))}\n`);
    },
    onEval: (r) => stream.write(`step ${r.step}/${total} validation loss ${r.valLoss.toFixed(4)}${r.valAccuracy !== undefined ? `, accuracy ${(100 * r.valAccuracy).toFixed(1)}%` : ''}\n`),
    onCheckpoint: (dir, step) => stream.write(`step ${step}: checkpoint ${dir}\n`),
  };
}
