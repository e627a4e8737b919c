// Training runs as curves: what a run directory's train.jsonl holds (per update: loss, learning
// rate, gradient norm, throughput; per validation: loss; where it was resumed), read back and
// drawn against the step, the FLOPs (either convention) or the wall time, each run's growth
// charged before its first step on the cost axes, resumes as dotted vertical lines, for the
// report page of `ligo train` runs (`ligo report RUN...`) and the experiment page's per-leg
// training curves (html.ts). Long runs are thinned to at most MAX_POINTS points per line; the
// training loss is a running mean over a window of steps (named in the chart's title), as the
// per-update loss is noisy.

import fs from 'node:fs';
import { join } from 'node:path';
import { LOG_FILE, readRunLog, type EvalRecord, type TrainRecord } from '../train/index.ts';
import type { LineChart, Series } from './chart.ts';
import type { Cost } from '../flops.ts';
import type { CostAxis } from './curves.ts';

const MAX_POINTS = 200;

export interface RunCurves {
  label: string;
  dir: string;
  train: TrainRecord[];
  evals: EvalRecord[];
  /** Backends named by the log's start and resume records. */
  backends: string[];
  /** The steps at which the run was resumed (its log's resume records). */
  resumes: number[];
}

/** The run's curves, or null when `dir` has no train.jsonl. */
export function readRun(dir: string, label: string): RunCurves | null {
  const path = join(dir, LOG_FILE);
  if (!fs.existsSync(path)) return null;
  const records = readRunLog(path);
  const backends = [...new Set(records.flatMap((r) => (r.type === 'start' || r.type === 'resume') && typeof r.backend === 'string' ? [r.backend] : []))];
  const resumes = records.flatMap((r) => (r.type === 'resume' ? [r.step] : []));
  return { label, dir, train: records.filter((r): r is TrainRecord => r.type === 'train'), evals: records.filter((r): r is EvalRecord => r.type === 'eval'), backends, resumes };
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

/** A chart's x axis: the step, or the cost so far in one measure. */
export type XAxis = 'step' | CostAxis;
export const X_AXES: readonly XAxis[] = ['step', 'flopsElectra', 'flopsSixN', 'wallSeconds'];
export const X_AXIS_NAMES: Record<XAxis, string> = { step: 'steps', flopsElectra: 'FLOPs (ELECTRA)', flopsSixN: 'FLOPs (6N)', wallSeconds: 'wall time' };
const X_LABELS: Record<XAxis, string> = { step: 'step', flopsElectra: 'FLOPs, growth + training (ELECTRA convention)', flopsSixN: 'FLOPs, growth + training (6N convention)', wallSeconds: 'wall time, growth + training (s)' };

/** How runs are drawn: on which x axis, and per run (by label) the cost charged before its first step (its growth). */
export interface CurveAxes {
  x: XAxis;
  offsets?: ReadonlyMap<string, Cost>;
}

/** A record's x: its step, or the offset plus its cumulative cost. */
function xOf(r: RunCurves, p: { step: number } & Cost, axes: CurveAxes): number {
  return axes.x === 'step' ? p.step : (axes.offsets?.get(r.label)?.[axes.x] ?? 0) + p[axes.x];
}

/** The run's resumes as events on the x axis (on a cost axis, at the cost of its last update before). */
function resumeEvents(r: RunCurves, axes: CurveAxes): NonNullable<Series['events']> {
  return r.resumes.flatMap((step) => {
    const at = r.train.filter((t) => t.step <= step).at(-1);
    return at || step === 0 ? [{ x: at ? xOf(r, at, axes) : 0, title: `${r.label} resumed at step ${step}` }] : [];
  });
}

function perStep(runs: RunCurves[], axes: CurveAxes, value: (r: TrainRecord[]) => number[]): Series[] {
  return runs.filter((r) => r.train.length > 0).map((r) => ({ label: r.label, points: thin(value(r.train).map((v, i): [number, number] => [xOf(r, r.train[i]!, axes), v])), events: resumeEvents(r, axes) }));
}

/** Per-update curves of `runs` against `axes.x`: training loss (running mean), learning rate, gradient norm, tokens per second. */
export function trainingCharts(runs: RunCurves[], title: string, axes: CurveAxes = { x: 'step' }): { id: string; chart: LineChart }[] {
  const window = smoothingWindow(runs);
  const chart = (id: string, what: string, yLabel: string, series: Series[]) => ({ id, chart: { title: `${title}: ${what}`, xLabel: X_LABELS[axes.x], yLabel, series } });
  return [
    chart('train-loss', window > 1 ? `training loss (mean of ${window} updates)` : 'training loss', 'training loss', perStep(runs, axes, (t) => runningMean(t.map((r) => r.loss), window))),
    chart('lr', 'learning rate', 'learning rate', perStep(runs, axes, (t) => t.map((r) => r.lr))),
    chart('grad-norm', 'gradient norm (before clipping)', 'gradient norm', perStep(runs, axes, (t) => t.map((r) => r.gradNorm))),
    chart('throughput', 'throughput', 'tokens per second', perStep(runs, axes, (t) => t.map((r) => r.tokensPerSecond))),
  ];
}

/** Validation loss against `axes.x`, one line per run. */
export function validationChart(runs: RunCurves[], title: string, axes: CurveAxes = { x: 'step' }): LineChart {
  return { title: `${title}: validation loss`, xLabel: X_LABELS[axes.x], yLabel: 'validation loss', series: runs.filter((r) => r.evals.length > 0).map((r) => ({ label: r.label, points: thin(r.evals.map((e): [number, number] => [xOf(r, e, axes), e.valLoss])), events: resumeEvents(r, axes) })) };
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
 * when that is (nearly) the whole range anyway, or for a chart of one line, whose whole curve
 * is shown.
 */
export function differingRange(c: LineChart): [number, number] | null {
  if (c.series.length < 2) return null;
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
