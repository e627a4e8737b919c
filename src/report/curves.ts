// Reading an experiment's results back from its run directory (layout in src/experiment/layout.ts):
// the spec, each method's validation curve from its train.jsonl 'eval' records, its growth cost
// (growth.json), and the small model's pretraining cost (its final 'eval' record: all its training
// FLOPs, and its wall time up to then). Methods whose training has not started are left out.
// lossChart: the curves as a chart of validation loss vs cost, for the plots and the HTML report.

import fs from 'node:fs';
import { join } from 'node:path';
import { LOG_FILE, readRunLog, type EvalRecord } from '../train/index.ts';
import { ExperimentError, GROWTH_FILE, isReference, legDir, readJsonIfExists, readSpecRecord, smallDir, trainDir, usesSmall, zeroCost, type ExperimentSpec, type GrowthRecord } from '../experiment/index.ts';
import type { Cost, MethodCurve, Savings, ValPoint } from './savings.ts';
import type { LineChart } from './chart.ts';

export interface ExperimentCurves {
  spec: ExperimentSpec;
  hash: string;
  curves: MethodCurve[];
  /** The label of the plain scratch method. */
  reference: string;
  small: Cost;
}

const costOf = (r: Cost): Cost => ({ flopsElectra: r.flopsElectra, flopsSixN: r.flopsSixN, wallSeconds: r.wallSeconds });

function evalRecords(runDir: string): EvalRecord[] | null {
  const path = join(runDir, LOG_FILE);
  if (!fs.existsSync(path)) return null;
  return readRunLog(path).filter((r): r is EvalRecord => r.type === 'eval');
}

export function readCurves(dir: string): ExperimentCurves {
  const { spec, hash } = readSpecRecord(dir);
  const reference = spec.methods.find(isReference)!.label;
  const curves: MethodCurve[] = [];
  for (const m of spec.methods) {
    const leg = legDir(dir, m.label);
    const evals = evalRecords(trainDir(leg));
    if (!evals || evals.length === 0) continue;
    const points: ValPoint[] = evals.map((e) => ({ step: e.step, valLoss: e.valLoss, ...costOf(e) }));
    const growth = readJsonIfExists<GrowthRecord>(join(leg, GROWTH_FILE));
    curves.push({ label: m.label, method: m.name, points, growth: growth ? costOf(growth) : zeroCost, usesSmall: usesSmall(m) });
  }
  if (!curves.some((c) => c.label === reference)) throw new ExperimentError(`${dir}: the reference method '${reference}' has no validation results yet: run the experiment first`);
  const smallEval = evalRecords(trainDir(smallDir(dir)))?.at(-1);
  return { spec, hash, curves, reference, small: smallEval ? costOf(smallEval) : zeroCost };
}

/** A cost measure, the x axis of a loss chart. */
export type CostAxis = keyof Cost;

const AXIS_LABEL: Record<CostAxis, string> = {
  flopsElectra: 'FLOPs, growth + large-model training (ELECTRA convention)',
  flopsSixN: 'FLOPs, growth + large-model training (6N convention)',
  wallSeconds: 'wall time, growth + large-model training (s)',
};

/**
 * Validation loss vs `axis`: one line per method, each point charged the method's growth (the
 * small model's pretraining is not), and the savings target (scratch's final loss) dashed.
 */
export function lossChart(e: ExperimentCurves, s: Savings, axis: CostAxis): LineChart {
  return {
    title: `${e.spec.name}: validation loss vs ${axis === 'wallSeconds' ? 'wall time' : 'training FLOPs'}`,
    xLabel: AXIS_LABEL[axis],
    yLabel: 'validation loss',
    series: e.curves.map((c) => ({ label: c.label, points: c.points.map((p): [number, number] => [c.growth[axis] + p[axis], p.valLoss]) })),
    target: { y: s.targetLoss, label: `${s.reference} final loss (${s.targetLoss.toFixed(3)})` },
  };
}
