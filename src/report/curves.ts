// Reading an experiment's results back from its run directory (layout in src/experiment/layout.ts):
// the spec, each method's validation curve from its train.jsonl 'eval' records, its growth cost
// (legGrowth: grow.json, or growth.json in older run directories), the small model's pretraining cost (its final 'eval' record: all its training
// FLOPs, and its wall time up to then), and the unigram reference line (unigram.json), for each
// seed. Methods whose training has not started are left out, and seeds whose reference (scratch)
// has no results yet.
// lossChart: the curves as a chart of validation loss vs cost, for the plots and the HTML report;
// with several seeds, each method's mean curve with its min-max band over the seeds.

import fs from 'node:fs';
import { join } from 'node:path';
import { LOG_FILE, readRunLog, type EvalRecord } from '../train/index.ts';
import { ExperimentError, UNIGRAM_FILE, isReference, legDir, legGrowth, readJsonIfExists, readSpecRecord, seedRoots, smallDir, trainDir, usesSmall, type ExperimentSpec, type UnigramRecord } from '../experiment/index.ts';
import { costOf, zeroCost } from '../flops.ts';
import type { Cost, MethodCurve, Savings, ValPoint } from './savings.ts';
import type { LineChart, Series } from './chart.ts';

/** One seed's results. */
export interface SeedCurves {
  seed: number;
  curves: MethodCurve[];
  small: Cost;
  /** The seed's unigram (no-context) loss; null when its run directory predates it. */
  unigramLoss: number | null;
  /** The seed of its validation masks (shared by the experiment's seeds); null in runs made before it was recorded. */
  validationSeed: number | null;
}

export interface ExperimentCurves {
  spec: ExperimentSpec;
  hash: string;
  /** The first seed's curves and small-model cost (the only seed's in a one-seed run). */
  curves: MethodCurve[];
  /** The label of the plain scratch method. */
  reference: string;
  small: Cost;
  /** Every seed with results, in the spec's order; the first is `curves` and `small` above. */
  seeds: SeedCurves[];
}

function evalRecords(runDir: string): EvalRecord[] | null {
  const path = join(runDir, LOG_FILE);
  if (!fs.existsSync(path)) return null;
  return readRunLog(path).filter((r): r is EvalRecord => r.type === 'eval');
}

export function readCurves(dir: string): ExperimentCurves {
  const { spec, hash } = readSpecRecord(dir);
  const reference = spec.methods.find(isReference)!.label;
  const seeds = seedRoots(spec, dir)
    .map(({ seed, root }) => readSeed(spec, seed, root))
    .filter((s) => s.curves.some((c) => c.label === reference));
  if (seeds.length === 0) throw new ExperimentError(`${dir}: the reference method '${reference}' has no validation results yet: run the experiment first`);
  return { spec, hash, curves: seeds[0]!.curves, reference, small: seeds[0]!.small, seeds };
}

function readSeed(spec: ExperimentSpec, seed: number, root: string): SeedCurves {
  const curves: MethodCurve[] = [];
  for (const m of spec.methods) {
    const leg = legDir(root, m.label);
    const evals = evalRecords(trainDir(leg));
    if (!evals || evals.length === 0) continue;
    const points: ValPoint[] = evals.map((e) => ({ step: e.step, valLoss: e.valLoss, ...costOf(e) }));
    const growth = legGrowth(leg);
    curves.push({ label: m.label, method: m.name, points, growth: growth ? costOf(growth) : zeroCost, usesSmall: usesSmall(m) });
  }
  const smallEval = evalRecords(trainDir(smallDir(root)))?.at(-1);
  const unigram = readJsonIfExists<UnigramRecord>(join(root, UNIGRAM_FILE));
  return { seed, curves, small: smallEval ? costOf(smallEval) : zeroCost, unigramLoss: unigram?.loss ?? null, validationSeed: unigram?.validationSeed ?? null };
}

/**
 * Whether the seeds were scored on one validation set: they recorded the same validation seed,
 * or (runs made before it was recorded) their unigram lines are equal, which they are exactly
 * when the validation targets are the same (causal LM and images always were; a masked LM's
 * static masks followed each seed). One seed is trivially paired.
 */
export function pairedSeeds(e: ExperimentCurves): boolean {
  const [first, ...rest] = e.seeds;
  if (!first || rest.length === 0) return true;
  if (first.validationSeed !== null) return rest.every((s) => s.validationSeed === first.validationSeed);
  return first.unigramLoss !== null && rest.every((s) => s.validationSeed === null && s.unigramLoss === first.unigramLoss);
}

const mean = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

/** The mean over seeds of each seed's unigram loss; null when some seed has none. */
export function meanUnigram(e: ExperimentCurves): number | null {
  const lines = e.seeds.map((s) => s.unigramLoss);
  return lines.every((l): l is number => l !== null) ? mean(lines) : null;
}

/** A cost measure, the x axis of a loss chart. */
export type CostAxis = keyof Cost;

const AXIS_LABEL: Record<CostAxis, string> = {
  flopsElectra: 'FLOPs, growth + large-model training (ELECTRA convention)',
  flopsSixN: 'FLOPs, growth + large-model training (6N convention)',
  wallSeconds: 'wall time, growth + large-model training (s)',
};

/** One method's line: with one seed its points; with several, the mean over seeds at each validation point (as many as every seed has) and the min-max band. */
function methodSeries(e: ExperimentCurves, label: string, axis: CostAxis): Series {
  const runs = e.seeds.map((s) => s.curves.find((c) => c.label === label)).filter((c): c is MethodCurve => c !== undefined);
  const xy = runs.map((c) => c.points.map((p): [number, number] => [c.growth[axis] + p[axis], p.valLoss]));
  if (xy.length === 1) return { label, points: xy[0]! };
  const at = Array.from({ length: Math.min(...xy.map((r) => r.length)) }, (_, k) => xy.map((r) => r[k]!));
  return {
    label,
    points: at.map((ps): [number, number] => [mean(ps.map((p) => p[0])), mean(ps.map((p) => p[1]))]),
    band: { lower: at.map((ps) => Math.min(...ps.map((p) => p[1]))), upper: at.map((ps) => Math.max(...ps.map((p) => p[1]))) },
  };
}

/**
 * Validation loss vs `axis`: one line per method, each point charged the method's growth (the
 * small model's pretraining is not); the savings target (scratch's final loss: `s`'s with one
 * seed, the mean of the seeds' with several) dashed; the unigram (no-context) loss dotted.
 */
export function lossChart(e: ExperimentCurves, s: Savings, axis: CostAxis): LineChart {
  const several = e.seeds.length > 1;
  const finals = e.seeds.map((seed) => seed.curves.find((c) => c.label === e.reference)!.points.at(-1)!.valLoss);
  const target = several ? mean(finals) : s.targetLoss;
  const unigram = meanUnigram(e);
  return {
    title: `${e.spec.name}: validation loss vs ${axis === 'wallSeconds' ? 'wall time' : 'training FLOPs'}${several ? ` (mean of ${e.seeds.length} seeds, band: min-max)` : ''}`,
    xLabel: AXIS_LABEL[axis],
    yLabel: 'validation loss',
    series: e.curves.map((c) => methodSeries(e, c.label, axis)),
    target: { y: target, label: `${s.reference} final loss${several ? ', mean' : ''} (${target.toFixed(3)})` },
    ...(unigram !== null ? { refLines: [{ y: unigram, label: `unigram, no context (${unigram.toFixed(3)})` }] } : {}),
  };
}
