// The Markdown report (results.md): the target, then two savings tables, one taking the small
// model's pretraining as already paid and one charging it, each with both FLOP conventions and
// wall time, the growth costs charged, and the downstream fine-tuning accuracies when the spec
// has a downstream section. Savings are signed: negative means more expensive than scratch.

import type { Cost, MethodCurve, MethodSavings, Savings } from './savings.ts';

export const flops = (v: number) => v.toExponential(2);
/** Tenths of a second; two significant digits under a second (tiny runs). */
export const seconds = (v: number) => `${v > 0 && v < 1 ? v.toPrecision(2) : v.toFixed(1)} s`;
export const percent = (v: number) => `${(100 * v).toFixed(1)}%`;
export const finalLoss = (v: number | null) => (v === null ? '–' : v.toFixed(4));

export const NOT_REACHED = 'not reached';

/** What the savings are measured against, and how. */
export function targetText(s: Savings): string {
  const reference = s.methods.find((m) => m.label === s.reference);
  const what = reference?.finalValLoss === s.targetLoss ? `${s.reference}'s final validation loss` : `a given validation loss (${s.reference}'s final is ${finalLoss(reference?.finalValLoss ?? null)}; savings only where ${s.reference} reaches the target)`;
  return `Target: ${what}, ${s.targetLoss.toFixed(4)}. Cost = growth + large-model training until the validation loss first reaches the target (interpolated between validation points); saved = 1 - cost / ${s.reference}'s cost.`;
}

/** The small model's pretraining cost, in words. */
export function smallCostText(s: Savings): string {
  return `${flops(s.small.flopsElectra)} FLOPs (ELECTRA), ${flops(s.small.flopsSixN)} (6N), ${seconds(s.small.wallSeconds)}`;
}

function row(m: MethodSavings, cost: Cost | null, saved: Cost | null): string {
  const loss = finalLoss(m.finalValLoss);
  if (!cost || !m.reach) return `| ${m.label} | ${loss} | ${NOT_REACHED} | – | – | – | – | – | – |`;
  const pct = (k: keyof Cost) => (saved ? percent(saved[k]) : '–');
  return `| ${m.label} | ${loss} | ${Math.round(m.reach.step)} | ${flops(cost.flopsElectra)} | ${pct('flopsElectra')} | ${flops(cost.flopsSixN)} | ${pct('flopsSixN')} | ${seconds(cost.wallSeconds)} | ${pct('wallSeconds')} |`;
}

function table(s: Savings, withSmall: boolean): string[] {
  return [
    '| method | final val loss | reached at step | FLOPs (ELECTRA) | saved | FLOPs (6N) | saved | wall time | saved |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...s.methods.map((m) => (withSmall ? row(m, m.costWithSmall, m.savingsWithSmall) : row(m, m.costWithoutSmall, m.savingsWithoutSmall))),
  ];
}

function growthLines(curves: readonly MethodCurve[]): string[] {
  const grown = curves.filter((c) => c.method !== 'scratch');
  if (grown.length === 0) return [];
  return ['', 'Growth cost charged to each method (the operator itself; fixed operators only copy weights):', '', ...grown.map((c) => `- ${c.label} (${c.method}): ${flops(c.growth.flopsElectra)} FLOPs (ELECTRA), ${flops(c.growth.flopsSixN)} (6N), ${seconds(c.growth.wallSeconds)}`)];
}

/** The savings tables alone (what `ligo demo` prints). */
export function savingsTables(s: Savings): string {
  const small = smallCostText(s);
  return [
    targetText(s),
    '',
    'Small model taken as already trained:',
    '',
    ...table(s, false),
    '',
    `Charging the small model's pretraining (${small}) to the methods that use it:`,
    '',
    ...table(s, true),
  ].join('\n');
}

/** One method's downstream fine-tuning result (null when that leg has not finished). */
export interface DownstreamRow {
  label: string;
  valAccuracy: number | null;
  valLoss: number | null;
  steps: number | null;
}

function downstreamLines(data: string | null, rows: readonly DownstreamRow[]): string[] {
  if (data === null) return [];
  const cell = (v: number | null, f: (v: number) => string) => (v === null ? '–' : f(v));
  return ['', `Downstream: each method's final large model fine-tuned on ${data} (same budget for all):`, '', '| method | val accuracy | val loss | steps |', '| --- | ---: | ---: | ---: |', ...rows.map((r) => `| ${r.label} | ${cell(r.valAccuracy, percent)} | ${finalLoss(r.valLoss)} | ${cell(r.steps, String)} |`)];
}

export function markdownReport(title: string, s: Savings, curves: readonly MethodCurve[], plots: string[], downstream: { data: string | null; rows: readonly DownstreamRow[] } = { data: null, rows: [] }): string {
  return [`# ${title}`, '', savingsTables(s), ...growthLines(curves), ...downstreamLines(downstream.data, downstream.rows), '', 'Plots:', '', ...plots.map((p) => `- [${p}](${p})`), ''].join('\n');
}
