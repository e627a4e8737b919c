// Training runs as curves: what a run directory's train.jsonl holds (per update: loss, learning
// rate, gradient norm, throughput; per validation: loss), read back and drawn per step, for the
// report page of `ligo train` runs (`ligo report RUN...`) and the experiment page's per-leg
// training curves (html.ts). Long runs are thinned to at most MAX_POINTS points per line; the
// training loss is a running mean over a window of steps (named in the chart's title), as the
// per-update loss is noisy.

import fs from 'node:fs';
import { join } from 'node:path';
import { LOG_FILE, readRunLog, type EvalRecord, type TrainRecord } from '../train/index.ts';
import type { LineChart, Series } from './chart.ts';

const MAX_POINTS = 200;

export interface RunCurves {
  label: string;
  dir: string;
  train: TrainRecord[];
  evals: EvalRecord[];
  /** Backends named by the log's start and resume records. */
  backends: string[];
}

/** The run's curves, or null when `dir` has no train.jsonl. */
export function readRun(dir: string, label: string): RunCurves | null {
  const path = join(dir, LOG_FILE);
  if (!fs.existsSync(path)) return null;
  const records = readRunLog(path);
  const backends = [...new Set(records.flatMap((r) => (r.type === 'start' || r.type === 'resume') && typeof r.backend === 'string' ? [r.backend] : []))];
  return { label, dir, train: records.filter((r): r is TrainRecord => r.type === 'train'), evals: records.filter((r): r is EvalRecord => r.type === 'eval'), backends };
}

/** At most MAX_POINTS of `points`, evenly spaced, the last kept. */
function thin(points: [number, number][]): [number, number][] {
  if (points.length <= MAX_POINTS) return points;
  const every = Math.ceil(points.length / MAX_POINTS);
  return points.filter((_, i) => i % every === 0 || i === points.length - 1);
}

/** The mean over the `window` updates up to each step. */
function runningMean(values: number[], window: number): number[] {
  let sum = 0;
  return values.map((v, i) => {
    sum += v - (i >= window ? values[i - window]! : 0);
    return sum / Math.min(i + 1, window);
  });
}

/** The window of the training loss's running mean: about 2% of the longest run. */
function smoothingWindow(runs: RunCurves[]): number {
  return Math.max(1, Math.round(Math.max(0, ...runs.map((r) => r.train.length)) / 50));
}

function perStep(runs: RunCurves[], value: (r: TrainRecord[]) => number[]): Series[] {
  return runs.filter((r) => r.train.length > 0).map((r) => ({ label: r.label, points: thin(value(r.train).map((v, i): [number, number] => [r.train[i]!.step, v])) }));
}

/** Per-update curves of `runs` vs step: training loss (running mean), learning rate, gradient norm, tokens per second. */
export function trainingCharts(runs: RunCurves[], title: string): { id: string; chart: LineChart }[] {
  const window = smoothingWindow(runs);
  const chart = (id: string, what: string, yLabel: string, series: Series[]) => ({ id, chart: { title: `${title}: ${what}`, xLabel: 'step', yLabel, series } });
  return [
    chart('train-loss', window > 1 ? `training loss (mean of ${window} updates)` : 'training loss', 'training loss', perStep(runs, (t) => runningMean(t.map((r) => r.loss), window))),
    chart('lr', 'learning rate', 'learning rate', perStep(runs, (t) => t.map((r) => r.lr))),
    chart('grad-norm', 'gradient norm (before clipping)', 'gradient norm', perStep(runs, (t) => t.map((r) => r.gradNorm))),
    chart('throughput', 'throughput', 'tokens per second', perStep(runs, (t) => t.map((r) => r.tokensPerSecond))),
  ];
}

/** Validation loss vs step, one line per run. */
export function validationChart(runs: RunCurves[], title: string): LineChart {
  return { title: `${title}: validation loss`, xLabel: 'step', yLabel: 'validation loss', series: runs.filter((r) => r.evals.length > 0).map((r) => ({ label: r.label, points: thin(r.evals.map((e): [number, number] => [e.step, e.valLoss])) })) };
}

/** The median of the run's tokens per second (null without updates). */
export function medianThroughput(r: RunCurves): number | null {
  if (r.train.length === 0) return null;
  const sorted = r.train.map((t) => t.tokensPerSecond).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * The y range where a chart's lines differ: from the lowest point to the highest one after the
 * first tenth of each line's x range (the initial drop every run shares), padded by 5%. Null
 * when that is (nearly) the whole range anyway.
 */
export function differingRange(c: LineChart): [number, number] | null {
  const all = [...c.series.flatMap((s) => s.points.map((p) => p[1])), ...(c.target ? [c.target.y] : [])].filter(Number.isFinite);
  const later = c.series.flatMap((s) => {
    const x0 = s.points[0]?.[0] ?? 0;
    const x1 = s.points.at(-1)?.[0] ?? 0;
    return s.points.filter((p) => p[0] >= x0 + 0.1 * (x1 - x0)).map((p) => p[1]);
  });
  if (all.length === 0 || later.length === 0) return null;
  const lo = Math.min(...all);
  const hi = Math.max(...later, ...(c.target ? [c.target.y] : []));
  const full = Math.max(...all) - lo;
  if (!(hi > lo) || hi - lo > 0.8 * full) return null;
  const pad = 0.05 * (hi - lo);
  return [lo - pad, hi + pad];
}
