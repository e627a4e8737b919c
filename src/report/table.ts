// The Markdown report (results.md): the target, the unigram (no-context) reference line, then two
// savings tables, one taking the small model's pretraining as already paid and one charging it,
// each with both FLOP conventions and wall time and the growth's FLOPs as a share of scratch's
// training budget, the growth costs charged, and the downstream fine-tuning accuracies when the
// spec has a downstream section. Savings are signed: negative means more expensive than scratch.
// With several seeds the tables give each number's mean +/- sd [min, max] over the seeds (each
// seed measured against its own scratch run), compare every pair of methods seed by seed (the
// mean difference, its 95% paired interval and the sign count; spread.ts, paired.ts) and by
// ranges, and each seed's own tables follow.

import type { Cost, MethodCurve, MethodSavings, Savings } from './savings.ts';
import type { SeedCurves } from './curves.ts';
import type { Comparison, CostSpread, SavingsSummary, Spread, Verdict } from './spread.ts';
import type { PairedDifference } from './paired.ts';

export const flops = (v: number) => v.toExponential(2);
/** Tenths of a second; two significant digits under a second (tiny runs). */
export const seconds = (v: number) => `${v > 0 && v < 1 ? v.toPrecision(2) : v.toFixed(1)} s`;
export const percent = (v: number) => `${(100 * v).toFixed(1)}%`;
export const finalLoss = (v: number | null) => (v === null ? '–' : v.toFixed(4));

export const NOT_REACHED = 'not reached';

/** Whether the target was given (`ligo report --target`) rather than the reference's final validation loss. */
function givenTarget(s: Savings): boolean {
  return s.methods.find((m) => m.label === s.reference)?.finalValLoss !== s.targetLoss;
}

/** What the savings are measured against, and how. */
export function targetText(s: Savings): string {
  const reference = s.methods.find((m) => m.label === s.reference);
  const what = givenTarget(s) ? `a given validation loss (${s.reference}'s final is ${finalLoss(reference?.finalValLoss ?? null)}; savings only where ${s.reference} reaches the target)` : `${s.reference}'s final validation loss`;
  return `Target: ${what}, ${s.targetLoss.toFixed(4)}. Cost = growth + large-model training until the validation loss first reaches the target (interpolated between validation points); saved = 1 - cost / ${s.reference}'s cost.`;
}

/** The small model's pretraining cost, in words. */
export function smallCostText(s: Savings): string {
  return `${flops(s.small.flopsElectra)} FLOPs (ELECTRA), ${flops(s.small.flopsSixN)} (6N), ${seconds(s.small.wallSeconds)}`;
}

/** The growth's FLOPs (ELECTRA) as a share of scratch's training budget. */
const share = (m: MethodSavings) => (m.growthShare ? percent(m.growthShare.flopsElectra) : '–');

function row(m: MethodSavings, cost: Cost | null, saved: Cost | null): string {
  const loss = finalLoss(m.finalValLoss);
  if (!cost || !m.reach) return `| ${m.label} | ${loss} | ${NOT_REACHED} | – | – | – | – | – | – | ${share(m)} |`;
  const pct = (k: keyof Cost) => (saved ? percent(saved[k]) : '–');
  return `| ${m.label} | ${loss} | ${Math.round(m.reach.step)} | ${flops(cost.flopsElectra)} | ${pct('flopsElectra')} | ${flops(cost.flopsSixN)} | ${pct('flopsSixN')} | ${seconds(cost.wallSeconds)} | ${pct('wallSeconds')} | ${share(m)} |`;
}

const GROWTH_SHARE = 'growth, share of scratch FLOPs';

function table(s: Savings, withSmall: boolean): string[] {
  return [
    `| method | final val loss | reached at step | FLOPs (ELECTRA) | saved | FLOPs (6N) | saved | wall time | saved | ${GROWTH_SHARE} |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...s.methods.map((m) => (withSmall ? row(m, m.costWithSmall, m.savingsWithSmall) : row(m, m.costWithoutSmall, m.savingsWithoutSmall))),
  ];
}

const SHARE_TEXT = `${GROWTH_SHARE}: the operator's FLOPs (ELECTRA) / scratch's whole large-model training FLOPs.`;

const HEAD_START = "Head start: where each grown model starts on scratch's curve, the share of scratch's training FLOPs (ELECTRA) at which scratch first reaches the grown model's first validation loss (0%: no better than scratch's start; 'beyond': scratch never gets that low)";

function headStartLine(rows: { label: string; text: string }[]): string {
  return `${HEAD_START}: ${rows.map((r) => `${r.label} ${r.text}`).join(', ')}.`;
}

function growthLines(curves: readonly MethodCurve[], s: Savings): string[] {
  const grown = curves.filter((c) => c.method !== 'scratch');
  if (grown.length === 0) return [];
  const of = (label: string) => s.methods.find((m) => m.label === label);
  return ['', 'Growth cost charged to each method (the operator itself; fixed operators only copy weights):', '', ...grown.map((c) => `- ${c.label} (${c.method}): ${flops(c.growth.flopsElectra)} FLOPs (ELECTRA), ${flops(c.growth.flopsSixN)} (6N), ${seconds(c.growth.wallSeconds)}; ${of(c.label) ? share(of(c.label)!) : '–'} of ${s.reference}'s training FLOPs`)];
}

/** The no-context line in words, with how far below it each method ends. */
export function unigramText(unigram: number | null, finals: { label: string; loss: number | null }[], several = false): string {
  if (unigram === null) return 'Unigram (no-context) loss: not recorded in this run directory (running the experiment again adds it).';
  const below = finals.filter((f) => f.loss !== null).map((f) => `${f.label} ${(unigram - f.loss!).toFixed(3)}`);
  return `Unigram (no-context) loss: ${unigram.toFixed(4)}${several ? ' (mean of the seeds\' lines)' : ''}, the cross-entropy of the validation targets under the training split's token (class) frequencies. Final loss below it, in nats${several ? ' (means)' : ''}; negative: above it: ${below.join(', ')}.`;
}

/**
 * One plain sentence, to read before any percentage, when the reference or another method ends
 * at or above the unigram (no-context) line: savings then measure how fast models learn token
 * frequencies, not growth. Null when every method ends below the line or the line is unknown.
 */
export function aboveUnigramWarning(unigram: number | null, reference: string, finals: { label: string; loss: number | null }[]): string | null {
  if (unigram === null) return null;
  const above = finals.filter((f) => f.loss !== null && f.loss >= unigram);
  if (above.length === 0) return null;
  const names = above.map((f) => `${f.label} ${f.loss!.toFixed(3)}`).join(', ');
  const refAbove = above.some((f) => f.label === reference);
  return `WARNING: ${refAbove ? `${reference}, the reference, ends` : 'some methods end'} at or above the unigram (no-context) line ${unigram.toFixed(3)} (${names}): ${refAbove ? 'no model has learned more than token frequencies, so the savings below do not measure growth; train longer (or on more data) before reading them' : 'those models learned no more than token frequencies; read their rows as such'}.`;
}

/** The savings tables alone for one seed, with the unigram line when known (what `ligo demo` prints). */
export function savingsTables(s: Savings, unigramLoss: number | null = null): string {
  const small = smallCostText(s);
  const warning = aboveUnigramWarning(unigramLoss, s.reference, s.methods.map((m) => ({ label: m.label, loss: m.finalValLoss })));
  return [
    ...(warning ? [warning, ''] : []),
    targetText(s),
    unigramText(unigramLoss, s.methods.map((m) => ({ label: m.label, loss: m.finalValLoss }))),
    '',
    'Small model taken as already trained:',
    '',
    ...table(s, false),
    '',
    `Charging the small model's pretraining (${small}) to the methods that use it:`,
    '',
    ...table(s, true),
    '',
    SHARE_TEXT,
    '',
    headStartLine(s.methods.filter((m) => m.label !== s.reference).map((m) => ({ label: m.label, text: m.headStart === null ? 'beyond' : percent(m.headStart) }))),
  ].join('\n');
}

/** mean +/- sd [min, max], each formatted by f; '–' when no seed has it. */
function spreadCell(v: Spread | null, f: (x: number) => string, sd: (x: number) => string = f): string {
  if (!v) return '–';
  return v.n === 1 ? f(v.mean) : `${f(v.mean)} ± ${sd(v.sd)} [${f(v.min)}, ${f(v.max)}]`;
}

const pctSd = (v: number) => `${(100 * v).toFixed(1)}`;
const lossSd = (v: number) => v.toFixed(4);
const flopsSd = (v: number) => v.toExponential(1);

function seedRow(m: SavingsSummary['methods'][number], saved: CostSpread, withCost: boolean): string {
  const reached = m.reached === m.seeds ? `${m.seeds}` : `${m.seeds} (${m.reached} reached)`;
  const cost = withCost ? ` ${spreadCell(m.costToTarget.flopsElectra, flops, flopsSd)} |` : '';
  const pct = (k: keyof Cost) => spreadCell(saved[k], percent, pctSd);
  return `| ${m.label} | ${reached} | ${spreadCell(m.finalValLoss, finalLoss, lossSd)} |${cost} ${pct('flopsElectra')} | ${pct('flopsSixN')} | ${pct('wallSeconds')} | ${spreadCell(m.growthShare.flopsElectra, percent, pctSd)} |`;
}

function seedTable(s: SavingsSummary, withSmall: boolean): string[] {
  return [
    `| method | seeds | final val loss |${withSmall ? '' : ' FLOPs (ELECTRA) to target |'} saved (ELECTRA) | saved (6N) | saved (wall time) | ${GROWTH_SHARE} |`,
    `| --- | ---: | ---: |${withSmall ? '' : ' ---: |'} ---: | ---: | ---: | ---: |`,
    ...s.methods.map((m) => seedRow(m, withSmall ? m.savingsWithSmall : m.savingsWithoutSmall, !withSmall)),
  ];
}

/** A comparison's verdict (spread.ts) as text naming the method ahead. */
export function verdictText(v: Verdict | null, a: string, b: string): string {
  if (v === null) return 'not compared (neither reached the target)';
  if (v === 'within') return 'within the seed spread';
  return `${v === 'ahead' ? a : b} ahead of ${v === 'ahead' ? b : a} beyond the seed spread`;
}

const signed = (v: number, f: (v: number) => string) => `${v > 0 ? '+' : v < 0 ? '−' : ''}${f(Math.abs(v))}`;

/** One measure's paired difference as text: mean [interval], sign count, verdict. */
export function pairedText(d: PairedDifference, a: string, b: string, measure: 'savings' | 'loss'): string {
  const f = measure === 'savings' ? (v: number) => `${(100 * v).toFixed(1)}` : (v: number) => v.toFixed(4);
  const unit = measure === 'savings' ? ' points' : ' nats';
  if (d.mean === null) return `no seed where both reached the target${d.compared > 0 ? ` (${a} reached it in ${d.aBetter} of ${d.compared} seeds where one did)` : ''}`;
  const interval = d.low !== null && d.high !== null ? ` [95% CI ${signed(d.low, f)}, ${signed(d.high, f)}]` : ' (one seed: no interval)';
  const better = `${a} ${measure === 'savings' ? 'saves more' : 'lower'} in ${d.aBetter} of ${d.compared} seeds`;
  const verdict = d.verdict === null ? 'no verdict' : d.verdict === 'within' ? 'within (the interval holds zero)' : `${d.verdict === 'ahead' ? a : b} ahead`;
  return `${signed(d.mean, f)}${unit}${interval}, ${better}: ${verdict}`;
}

function comparisonLines(s: SavingsSummary, c: Comparison): string[] {
  const ranges = `ranges: final loss ${verdictText(c.finalValLoss, c.a, c.b)}, savings ${verdictText(c.savings, c.a, c.b)}`;
  if (!c.paired) return [`- ${c.a} vs ${c.b}: ${ranges}`];
  return [`- ${c.a} − ${c.b}: savings ${pairedText(c.paired.savings, c.a, c.b, 'savings')}; final loss ${pairedText(c.paired.finalValLoss, c.a, c.b, 'loss')}${s.pairedSeeds ? '' : ' (not paired: see above)'}; ${ranges}`];
}

function comparisonIntro(s: SavingsSummary): string {
  const how = `Pairs, seed by seed: the difference first − second in each seed, its mean with a 95% paired-t interval, and the seeds where the first is better; a method is ahead only when the interval excludes zero. Savings in FLOPs (ELECTRA, small model not charged), over the seeds where both reached the target; the sign count counts a seed where only one did for that one. Beside it, the ranges' verdict (ahead beyond the seed spread: every seed of one better than every seed of the other).`;
  if (s.pairedSeeds) return `${how} Every seed scored the same validation set, so the paired verdict is the one to read.`;
  return `${how} These seeds did NOT score one validation set (a run made before seeds shared the experiment's validation masks): each seed's numbers are on its own targets, so the paired differences mix validation sets and only the ranges' verdict holds; rerun the spec into a new directory for paired verdicts.`;
}

/** The tables over several seeds: means and spreads, and every pair compared seed by seed and by ranges. */
export function seedTables(s: SavingsSummary): string {
  const n = s.seeds.length;
  const unigram = s.unigramLoss?.mean ?? null;
  const target = s.perSeed.some(givenTarget)
    ? `target: the given validation loss ${s.perSeed[0]!.targetLoss.toFixed(4)} for every seed; ${s.reference}'s final is ${spreadCell(s.methods.find((m) => m.label === s.reference)?.finalValLoss ?? null, finalLoss, lossSd)}, and a seed counts only where ${s.reference} reaches the target`
    : `target: that seed's ${s.reference} final validation loss`;
  const warning = aboveUnigramWarning(unigram, s.reference, s.methods.map((m) => ({ label: m.label, loss: m.finalValLoss?.mean ?? null })));
  return [
    ...(warning ? [warning, ''] : []),
    `Seeds: ${s.seeds.join(', ')}. Each seed's savings are measured against its own ${s.reference} run (${target}; cost = growth + large-model training until the loss first reaches it), then summarised as mean ± sd [min, max] over the ${n} seeds; costs and savings over the seeds that reached the target.`,
    unigramText(unigram, s.methods.map((m) => ({ label: m.label, loss: m.finalValLoss?.mean ?? null })), true),
    '',
    'Small model taken as already trained:',
    '',
    ...seedTable(s, false),
    '',
    "Charging the small model's pretraining to the methods that use it:",
    '',
    ...seedTable(s, true),
    '',
    SHARE_TEXT,
    '',
    headStartLine(s.methods.filter((m) => m.label !== s.reference).map((m) => ({ label: m.label, text: spreadCell(m.headStart, percent, pctSd) }))),
    '',
    comparisonIntro(s),
    '',
    ...s.comparisons.flatMap((c) => comparisonLines(s, c)),
  ].join('\n');
}

/** What to print for a run: one seed's tables, or the summary over several. */
export function reportTables(s: SavingsSummary): string {
  return s.perSeed.length === 1 ? savingsTables(s.perSeed[0]!, s.perSeed[0]!.unigramLoss) : seedTables(s);
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

/** Each seed's own tables and growth costs, after the summary (several seeds only). */
function perSeedLines(s: SavingsSummary, seeds: readonly SeedCurves[]): string[] {
  if (s.perSeed.length === 1) return [];
  return s.perSeed.flatMap((p, i) => ['', `## Seed ${p.seed}`, '', savingsTables(p, p.unigramLoss), ...growthLines(seeds[i]!.curves, p)]);
}

/** results.md: the tables (after `inProgress`, the sentence naming the legs still to finish), growth costs, downstream results, plots, and each seed's own tables. */
export function markdownReport(title: string, s: SavingsSummary, seeds: readonly SeedCurves[], plots: string[], downstream: { data: string | null; rows: readonly DownstreamRow[] } = { data: null, rows: [] }, inProgress: string | null = null): string {
  const one = s.perSeed.length === 1 ? growthLines(seeds[0]!.curves, s.perSeed[0]!) : [];
  return [`# ${title}`, '', ...(inProgress ? [inProgress, ''] : []), reportTables(s), ...one, ...downstreamLines(downstream.data, downstream.rows), '', 'Plots:', '', ...plots.map((p) => `- [${p}](${p})`), ...perSeedLines(s, seeds), ''].join('\n');
}
