// `ligo report RUN...` on `ligo train` / `ligo grow` runs (docs/growth.md, "Savings from plain
// runs"): each run's curves, status and lineage (lineage.ts), and savings as an experiment
// computes them (savings.ts), with each run charged what its lineage cost:
//   - growth: every growth operator on the way (grow.json's cost: LiGO's steps; 0 FLOPs for
//     fixed operators), always, as an experiment charges a method its growth;
//   - the small model: the training of the runs it grew from, up to the step grown, only with
//     chargeSmall (`--charge-small`). Off by default, as the paper and the experiment's first
//     table count it: the small model is one you already have, and growing reuses it; its cost is
//     shown either way.
// The reference is the run trained from scratch (no --from) among the runs that are not the small
// model of another one given, or the one named; the target is its final validation loss or the
// one given. Runs trained on different data or with different tokenizers are refused: their
// validation losses are not on one scale.

import { ExperimentError } from '../experiment/index.ts';
import { addCost, costOf, zeroCost, type Cost } from '../flops.ts';
import { computeSavings, type MethodCurve, type MethodSavings, type Savings } from './savings.ts';
import { NOT_REACHED, finalLoss, flops, percent, seconds, targetText } from './table.ts';
import { lineage, lineageCost, runData, runFlags, runStatus, runTokenizer, shownPath, statusText, type LineageNode, type RunFlags, type RunStatus } from './lineage.ts';
import { readRun, type RunCurves } from './runs.ts';

export interface PlainRun {
  label: string;
  dir: string;
  curves: RunCurves;
  status: RunStatus;
  /** Its lineage, the run itself first. */
  chain: LineageNode[];
  /** Every growth operator in its lineage. */
  growth: Cost;
  /** The training of the models it grew from (the small model), up to the step grown. */
  small: Cost;
  flags: RunFlags | null;
  /** Labels of the given runs that grew from this one (it is their small model). */
  smallOf: string[];
}

export interface PlainReport {
  runs: PlainRun[];
  chargeSmall: boolean;
  savings: Savings | null;
  /** Why there are no savings (one run, no scratch run to compare with, ...); null when there are. */
  noSavings: string | null;
}

export interface PlainOptions {
  chargeSmall?: boolean;
  target?: number;
  /** The reference run's directory, as given. */
  reference?: string;
}

/** Refuses runs whose data or tokenizers differ (one line naming the first pair). */
function checkComparable(dirs: string[]): void {
  for (const [what, of] of [
    ['data', runData],
    ['tokenizers', (d: string) => runTokenizer(d)?.sha256 ?? null],
  ] as const) {
    const known = dirs.map((d) => ({ d, v: of(d) })).filter((x) => x.v !== null);
    const other = known.find((x) => x.v !== known[0]!.v);
    if (other) {
      const shown = what === 'data' ? ` (${known[0]!.v} vs ${other.v})` : ' (their tokenizer.json differ: other token ids)';
      throw new ExperimentError(`${known[0]!.d} and ${other.d} were trained on different ${what}${shown}: their validation losses do not compare; report them separately`);
    }
  }
}

const sameDir = (a: LineageNode, dir: string) => a.kind === 'trained' && a.dir === dir;

export function readPlainRuns(dirs: string[], labels: string[], opts: PlainOptions = {}): PlainReport {
  checkComparable(dirs);
  const runs: PlainRun[] = dirs.map((dir, i) => {
    const curves = readRun(dir, labels[i]!);
    if (!curves) throw new ExperimentError(`${dir} holds no training run (no train.jsonl)`);
    const chain = lineage(dir);
    const cost = lineageCost(chain);
    return { label: labels[i]!, dir, curves, status: runStatus(dir), chain, growth: cost.growth, small: cost.ancestors, flags: runFlags(dir), smallOf: [] };
  });
  for (const r of runs) for (const other of runs) if (other !== r && other.chain.slice(1).some((n) => sameDir(n, r.chain[0]!.dir))) r.smallOf.push(other.label);
  const chargeSmall = opts.chargeSmall === true;
  const { savings, noSavings } = plainSavings(runs, opts);
  return { runs, chargeSmall, savings, noSavings };
}

/** Both variants are computed (costWithoutSmall: growth only; costWithSmall: the small model's training too); chargeSmall says which the report leads with. */
function plainSavings(runs: PlainRun[], opts: PlainOptions): { savings: Savings | null; noSavings: string | null } {
  const compared = runs.filter((r) => r.smallOf.length === 0 && r.curves.evals.length > 0);
  let reference: PlainRun | undefined;
  if (opts.reference !== undefined) {
    reference = runs.find((r) => r.dir === opts.reference || r.label === opts.reference);
    if (!reference) throw new ExperimentError(`--reference ${opts.reference} is not one of the runs given`);
    if (reference.curves.evals.length === 0) throw new ExperimentError(`--reference ${opts.reference} has no validation results yet`);
  } else {
    const scratch = compared.filter((r) => r.chain.length === 1 && !r.flags?.from); // a --from whose path is gone is not scratch
    if (scratch.length === 1) reference = scratch[0];
    else {
      const why = scratch.length === 0 ? 'no run among them was trained from scratch' : `${scratch.map((r) => r.label).join(' and ')} were all trained from scratch`;
      const noSavings = `No savings: ${why}; name the run to measure against with --reference RUN.`;
      if (opts.target !== undefined) throw new ExperimentError(`--target measures savings against a reference run, but ${why}: name it with --reference RUN`);
      return { savings: null, noSavings };
    }
  }
  if (compared.length < 2) return { savings: null, noSavings: 'No savings: give the run to compare and the run trained from scratch (and, to charge it, the small model it grew from).' };
  const curves: MethodCurve[] = compared.map((r) => ({
    label: r.label,
    method: methodOf(r),
    points: r.curves.evals.map((e) => ({ step: e.step, valLoss: e.valLoss, ...costOf(e) })),
    growth: r.growth,
    usesSmall: r.chain.length > 1,
    smallCost: r.small,
  }));
  return { savings: computeSavings(curves, reference!.label, zeroCost, opts.target), noSavings: null };
}

/** How the run's model was made: the (first) growth method in its lineage, 'scratch', 'continued' (trained on from another run), or where run.json says it started when that path is not found from the working directory. */
export function methodOf(r: PlainRun): string {
  for (const n of r.chain) if (n.kind === 'grown') return n.record.method;
  if (r.chain.length > 1) return 'continued';
  return r.flags?.from ? `from ${r.flags.from} (not found from here)` : 'scratch';
}

/** What a run is charged besides its own training: its growth, and its small model's training when charged. */
export function charged(r: PlainRun, chargeSmall: boolean): Cost {
  return chargeSmall ? addCost(r.growth, r.small) : r.growth;
}

const cell = (v: string, width: number) => v.padStart(width);

/** The runs' summary as aligned text: steps, last losses, own training cost, status. */
function summaryLines(runs: PlainRun[]): string[] {
  const width = Math.max(3, ...runs.map((r) => r.label.length));
  const lines = [`${'run'.padEnd(width)}  steps  train loss  val loss  FLOPs (ELECTRA)  wall time  status`];
  for (const r of runs) {
    const last = r.curves.train.at(-1);
    const val = r.curves.evals.at(-1);
    const resumed = r.curves.resumes.length > 0 ? `, resumed at step ${r.curves.resumes.join(', ')}` : '';
    lines.push(`${r.label.padEnd(width)}  ${cell(String(last?.step ?? 0), 5)}  ${cell(last ? last.loss.toFixed(4) : '-', 10)}  ${cell(val ? val.valLoss.toFixed(4) : '-', 8)}  ${cell(last ? last.flopsElectra.toExponential(3) : '-', 15)}  ${cell(last ? seconds(last.wallSeconds) : '-', 9)}  ${statusText(r.status)}${resumed}`);
  }
  return lines;
}

/** Per run with a lineage: how its model was made and what that cost. */
function lineageSummary(r: PlainRun, chargeSmall: boolean): string | null {
  if (r.chain.length === 1) return null;
  const grown = r.chain.find((n): n is Extract<LineageNode, { kind: 'grown' }> => n.kind === 'grown');
  const smallRuns = r.chain.slice(1).filter((n): n is Extract<LineageNode, { kind: 'trained' }> => n.kind === 'trained');
  const how = grown ? `grown by ${grown.record.method}${grown.record.cost.operatorSteps > 0 ? ` (${grown.record.cost.operatorSteps} operator steps)` : ''}` : 'trained on from another run';
  const growth = `growth ${flops(r.growth.flopsElectra)} FLOPs (ELECTRA), ${flops(r.growth.flopsSixN)} (6N), ${seconds(r.growth.wallSeconds)}`;
  const small = smallRuns.length > 0 ? `; small model ${smallRuns.map((n) => `${shownPath(n.dir)} to step ${n.step}`).join(', ')}: ${flops(r.small.flopsElectra)} FLOPs (ELECTRA), ${flops(r.small.flopsSixN)} (6N), ${seconds(r.small.wallSeconds)}, ${chargeSmall ? 'charged' : 'not charged'}` : '';
  return `- ${r.label}: ${how}; ${growth}${small}`;
}

function savingsLines(report: PlainReport): string[] {
  const s = report.savings!;
  const charged = report.chargeSmall;
  const byLabel = new Map(report.runs.map((r) => [r.label, r]));
  const row = (m: MethodSavings) => {
    const r = byLabel.get(m.label)!;
    const cost = charged ? m.costWithSmall : m.costWithoutSmall;
    const saved = charged ? m.savingsWithSmall : m.savingsWithoutSmall;
    const small = r.chain.length > 1 ? `${flops(r.small.flopsElectra)}${charged ? '' : ' (not charged)'}` : '–';
    const head = `| ${m.label} | ${m.method} | ${finalLoss(m.finalValLoss)} | ${m.reach ? Math.round(m.reach.step) : NOT_REACHED} | ${r.chain.length > 1 ? flops(r.growth.flopsElectra) : '–'} | ${small} |`;
    if (!cost) return `${head} – | – | – | – | – | – |`;
    const pct = (k: keyof Cost) => (saved ? percent(saved[k]) : '–');
    return `${head} ${flops(cost.flopsElectra)} | ${pct('flopsElectra')} | ${flops(cost.flopsSixN)} | ${pct('flopsSixN')} | ${seconds(cost.wallSeconds)} | ${pct('wallSeconds')} |`;
  };
  return [
    targetText(s),
    `Each run is charged its growth (every operator in its lineage); ${charged ? "and the small model's training up to the step grown (--charge-small)" : "the small model's training is shown but not charged (the small model is taken as already trained; --charge-small charges it)"}.`,
    '',
    '| run | method | final val loss | reached at step | growth FLOPs (ELECTRA) | small model FLOPs (ELECTRA) | FLOPs (ELECTRA) | saved | FLOPs (6N) | saved | wall time | saved |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...s.methods.map(row),
  ];
}

/** What `ligo report RUN...` prints. */
export function plainReportText(report: PlainReport): string {
  const lineages = report.runs.map((r) => lineageSummary(r, report.chargeSmall)).filter((l): l is string => l !== null);
  return [
    ...summaryLines(report.runs),
    ...(lineages.length > 0 ? ['', 'Lineage (`ligo inspect RUN` shows the whole chain):', ...lineages] : []),
    '',
    ...(report.savings ? savingsLines(report) : [report.noSavings!]),
  ].join('\n');
}

/** What `ligo report RUN... --json` prints: every run with its status, costs and lineage, and the savings. */
export function plainReportJson(report: PlainReport) {
  return {
    runs: report.runs.map((r) => ({
      label: r.label,
      dir: r.dir,
      method: methodOf(r),
      status: r.status,
      resumedAt: r.curves.resumes,
      finalValLoss: r.curves.evals.at(-1)?.valLoss ?? null,
      lastTrainLoss: r.curves.train.at(-1)?.loss ?? null,
      training: r.curves.train.at(-1) ? costOf(r.curves.train.at(-1)!) : zeroCost,
      growth: r.growth,
      small: r.small,
      smallOf: r.smallOf,
      lineage: r.chain,
    })),
    chargeSmall: report.chargeSmall,
    savings: report.savings,
    noSavings: report.noSavings,
  };
}
