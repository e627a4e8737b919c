// The report of an experiment, re-derived at any time from its run directory's logs: savings per
// method (savings.ts), results.json, results.md (table.ts) and two plots, validation loss vs
// training FLOPs (the paper's ELECTRA convention) and vs wall time, each as SVG and PNG, with
// one line per method (growth cost included, small model's pretraining not) and scratch's final
// loss as a dashed line and the unigram (no-context) loss dotted; on request, report.html
// (html.ts): the same numbers and charts on one self-contained interactive page. A spec with a
// downstream section adds its accuracies. With several seeds, savings are computed per seed and
// summarised (spread.ts), and the plots show each method's mean with its min-max band.
//
// results.json: experiment, specHash, seeds (every seed with results), unigramLoss (the mean of
// the seeds' unigram losses; null when not recorded), reference, and per method in `methods` its
// `spread` (MethodSpread, spread.ts: mean, sd, min, max over the seeds); with one seed also the
// seed's savings as before (targetLoss, small, and each method's MethodSavings fields), with
// several `pairedSeeds` (whether the seeds scored one validation set), `perSeed` (each seed's
// savings and unigram loss) and `comparisons` (per pair: the range verdicts, and `paired`, the
// per-seed differences with their mean, 95% interval, sign count and verdict). Then growth (the first seed's growth costs), downstream, plots,
// and `inProgress`: every leg of every seed still to finish (legs.ts), which the tables' first
// sentence also names.

import fs from 'node:fs';
import { join } from 'node:path';
import { DONE_FILE, downstreamDir, legDir, readJsonIfExists, seedRoots, writeJson, type DoneRecord } from '../experiment/index.ts';
import { lossChart, meanUnigram, pairedSeeds, readCurves, type ExperimentCurves } from './curves.ts';
import { computeSavings, type Savings } from './savings.ts';
import { summarise, type SavingsSummary } from './spread.ts';
import { lineChartSvg, type LineChart } from './chart.ts';
import { HTML_REPORT, htmlReport } from './html.ts';
import { svgToPng } from './png.ts';
import { markdownReport, reportTables, type DownstreamRow } from './table.ts';
import { inProgressJson, inProgressText, unfinishedLegs } from './legs.ts';

export * from './savings.ts';
export { lossChart, meanUnigram, pairedSeeds, readCurves, type CostAxis, type ExperimentCurves, type SeedCurves } from './curves.ts';
export * from './spread.ts';
export { pairedDifference, studentTCdf, studentTQuantile, type PairedDifference } from './paired.ts';
export { againstSeeded, type SeededResults } from './against-seeded.ts';
export { HTML_REPORT, htmlReport, legConfigs, runLabels, runsReport, type LegConfig } from './html.ts';
export { lineChartSvg, niceTicks, tickLabels, titleLines, type LineChart, type Series } from './chart.ts';
export { svgToPng } from './png.ts';
export { aboveUnigramWarning, markdownReport, pairedText, reportTables, savingsTables, seedTables } from './table.ts';
export { inspectCheckpoint, summaryLines, type CheckpointSummary } from './inspect.ts';
export { lineage, lineageCost, lineageLines, runStatus, statusText, type LineageNode, type RunStatus } from './lineage.ts';
export { inProgressText, legStateText, methodProgress, unfinishedLegs, type UnfinishedLeg } from './legs.ts';
export { charged, methodOf, plainReportJson, plainReportText, readPlainRuns, type PlainReport, type PlainRun } from './plain-runs.ts';

export const RESULTS_JSON = 'results.json';
export const RESULTS_MD = 'results.md';
export const PLOTS_DIR = 'plots';

export interface Report {
  /** The first seed's savings (the only seed's in a one-seed run). */
  savings: Savings;
  /** Every seed's savings and their spread. */
  summary: SavingsSummary;
  /** The tables to print (reportTables). */
  tables: string;
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

/** Each method's downstream done.json, as a table row (one per seed, labelled with it, when there are several). */
function downstreamRows(e: ExperimentCurves, dir: string, labels: readonly string[]): DownstreamRow[] {
  const roots = seedRoots(e.spec, dir);
  return roots.flatMap(({ seed, root }) =>
    labels.map((label) => {
      const done = readJsonIfExists<DoneRecord>(join(downstreamDir(legDir(root, label)), DONE_FILE));
      return { label: roots.length > 1 ? `${label} (seed ${seed})` : label, valAccuracy: done?.valAccuracy ?? null, valLoss: done?.valLoss ?? null, steps: done?.step ?? null };
    }),
  );
}

/** Every seed's savings against its own reference, and their summary. */
export function summariseRun(e: ExperimentCurves, targetLoss?: number): SavingsSummary {
  return summarise(
    e.seeds.map((s) => ({ seed: s.seed, unigramLoss: s.unigramLoss, ...computeSavings(s.curves, e.reference, s.small, targetLoss) })),
    pairedSeeds(e),
  );
}

/** results.json's content (see the header). */
function resultsJson(e: ExperimentCurves, summary: SavingsSummary) {
  const one = summary.perSeed.length === 1 ? summary.perSeed[0]! : null;
  const methods = summary.methods.map((spread) => ({ ...(one?.methods.find((m) => m.label === spread.label) ?? { label: spread.label, method: spread.method }), spread }));
  const seedsPart = one ? { targetLoss: one.targetLoss, small: one.small } : { pairedSeeds: summary.pairedSeeds, perSeed: summary.perSeed, comparisons: summary.comparisons };
  return { experiment: e.spec.name, specHash: e.hash, seeds: summary.seeds, unigramLoss: meanUnigram(e), reference: summary.reference, ...seedsPart, methods };
}

export interface ReportOptions {
  /** Also write report.html (html.ts). */
  html?: boolean;
}

const PLOTS: { name: string; axis: 'flopsElectra' | 'wallSeconds' }[] = [
  { name: 'loss-vs-flops', axis: 'flopsElectra' },
  { name: 'loss-vs-wall-time', axis: 'wallSeconds' },
];
const plotFiles = PLOTS.flatMap((p) => [join(PLOTS_DIR, `${p.name}.svg`), join(PLOTS_DIR, `${p.name}.png`)]);

/** results.json's whole content for DIR, computed from its logs (`ligo report DIR --json` prints it; writeReport writes it). targetLoss: measured to that loss instead. */
export function reportData(dir: string, targetLoss?: number) {
  const e = readCurves(dir);
  const summary = summariseRun(e, targetLoss);
  const growth = Object.fromEntries(e.curves.map((c) => [c.label, c.growth]));
  const downstream = { data: e.spec.downstream?.data ?? null, rows: e.spec.downstream ? downstreamRows(e, dir, e.spec.downstream.methods) : [] };
  const unfinished = unfinishedLegs(dir, e.spec);
  return { e, summary, downstream, unfinished, json: { ...resultsJson(e, summary), growth, ...(downstream.data ? { downstream } : {}), plots: plotFiles, inProgress: inProgressJson(unfinished) } };
}

/**
 * Computes the savings from DIR's logs and writes results.json, results.md and the plots into
 * DIR, and report.html when asked: every file shows the one savings computation made here.
 */
export function writeReport(dir: string, opts: ReportOptions = {}): Report {
  const { e, summary, downstream, unfinished, json } = reportData(dir);
  const inProgress = inProgressText(unfinished);
  const { seed: _seed, unigramLoss: _unigram, ...savings } = summary.perSeed[0]!;
  const plots = PLOTS.flatMap((p) => writePlot(dir, p.name, lossChart(e, savings, p.axis)));
  writeJson(join(dir, RESULTS_JSON), json);
  fs.writeFileSync(join(dir, RESULTS_MD), markdownReport(`Experiment ${e.spec.name} (spec ${e.hash})`, summary, e.seeds, plots, downstream, inProgress));
  const files = [RESULTS_JSON, RESULTS_MD, ...plots];
  if (opts.html) {
    fs.writeFileSync(join(dir, HTML_REPORT), htmlReport(dir, e, savings));
    files.push(HTML_REPORT);
  }
  return { savings, summary, tables: [...(inProgress ? [inProgress, ''] : []), reportTables(summary)].join('\n'), files };
}
