// The report of an experiment, re-derived at any time from its run directory's logs: savings per
// method (savings.ts), results.json, results.md (table.ts) and two plots, validation loss vs
// training FLOPs (the paper's ELECTRA convention) and vs wall time, each as SVG and PNG, with
// one line per method (growth cost included, small model's pretraining not) and scratch's final
// loss as a dashed line; on request, report.html (html.ts): the same numbers and charts on one
// self-contained interactive page. A spec with a downstream section adds its accuracies.

import fs from 'node:fs';
import { join } from 'node:path';
import { DONE_FILE, downstreamDir, legDir, readJsonIfExists, writeJson, type DoneRecord } from '../experiment/index.ts';
import { lossChart, readCurves } from './curves.ts';
import { computeSavings, type Savings } from './savings.ts';
import { lineChartSvg, type LineChart } from './chart.ts';
import { HTML_REPORT, htmlReport } from './html.ts';
import { svgToPng } from './png.ts';
import { markdownReport, type DownstreamRow } from './table.ts';

export * from './savings.ts';
export { lossChart, readCurves, type CostAxis, type ExperimentCurves } from './curves.ts';
export { HTML_REPORT, htmlReport, legConfigs, type LegConfig } from './html.ts';
export { lineChartSvg, niceTicks, tickLabels, type LineChart, type Series } from './chart.ts';
export { svgToPng } from './png.ts';
export { markdownReport, savingsTables } from './table.ts';
export { inspectCheckpoint, summaryLines, type CheckpointSummary } from './inspect.ts';

export const RESULTS_JSON = 'results.json';
export const RESULTS_MD = 'results.md';
export const PLOTS_DIR = 'plots';

export interface Report {
  savings: Savings;
  /** Paths relative to the run directory. */
  files: string[];
}

function writePlot(dir: string, name: string, c: LineChart): string[] {
  fs.mkdirSync(join(dir, PLOTS_DIR), { recursive: true });
  const svg = lineChartSvg(c);
  const files = [join(PLOTS_DIR, `${name}.svg`), join(PLOTS_DIR, `${name}.png`)];
  fs.writeFileSync(join(dir, files[0]!), svg);
  fs.writeFileSync(join(dir, files[1]!), svgToPng(svg));
  return files;
}

/** Each method's downstream done.json, as a table row. */
function downstreamRows(dir: string, labels: readonly string[]): DownstreamRow[] {
  return labels.map((label) => {
    const done = readJsonIfExists<DoneRecord>(join(downstreamDir(legDir(dir, label)), DONE_FILE));
    return { label, valAccuracy: done?.valAccuracy ?? null, valLoss: done?.valLoss ?? null, steps: done?.step ?? null };
  });
}

export interface ReportOptions {
  /** Also write report.html (html.ts). */
  html?: boolean;
}

/**
 * Computes the savings from DIR's logs and writes results.json, results.md and the plots into
 * DIR, and report.html when asked: every file shows the one savings computation made here.
 */
export function writeReport(dir: string, opts: ReportOptions = {}): Report {
  const e = readCurves(dir);
  const savings = computeSavings(e.curves, e.reference, e.small);
  const plots = [...writePlot(dir, 'loss-vs-flops', lossChart(e, savings, 'flopsElectra')), ...writePlot(dir, 'loss-vs-wall-time', lossChart(e, savings, 'wallSeconds'))];
  const growth = Object.fromEntries(e.curves.map((c) => [c.label, c.growth]));
  const downstream = { data: e.spec.downstream?.data ?? null, rows: e.spec.downstream ? downstreamRows(dir, e.spec.downstream.methods) : [] };
  writeJson(join(dir, RESULTS_JSON), { experiment: e.spec.name, specHash: e.hash, ...savings, growth, ...(downstream.data ? { downstream } : {}), plots });
  fs.writeFileSync(join(dir, RESULTS_MD), markdownReport(`Experiment ${e.spec.name} (spec ${e.hash})`, savings, e.curves, plots, downstream));
  const files = [RESULTS_JSON, RESULTS_MD, ...plots];
  if (opts.html) {
    fs.writeFileSync(join(dir, HTML_REPORT), htmlReport(dir, e, savings));
    files.push(HTML_REPORT);
  }
  return { savings, files };
}
