// Repeated seeds: each seed's savings are computed against that seed's own scratch run (its
// final loss is that seed's target; savings.ts), then summarised per method as a Spread (mean,
// sample standard deviation, min, max over the seeds that have the number). Every pair of methods
// is compared two ways: seed by seed (paired.ts: the per-seed differences' mean, 95% paired-t
// interval and sign count; "ahead" when the interval excludes zero), which is the verdict when
// the seeds share one validation set (`pairedSeeds`, as every experiment's do since it was
// fixed), and by ranges (ahead only when every seed of one is better than every seed of the
// other), the only verdict for older runs whose seeds masked their own validation sets.
//
// The `spread` object of a method in results.json is a MethodSpread: finalValLoss; costToTarget
// (growth + training to the seed's target, per cost measure, small model not charged);
// savingsWithoutSmall and savingsWithSmall (per cost measure); growthShare (the operator's cost
// as a fraction of scratch's whole training, per cost measure); `seeds` (seeds with results) and
// `reached` (seeds where the target was reached: cost and savings spreads are over those only).

import { costKeys, type Cost, type MethodSavings, type Savings } from './savings.ts';
import { pairedDifference, type PairedDifference } from './paired.ts';

export interface Spread {
  mean: number;
  /** Sample standard deviation (n - 1); 0 for one value. */
  sd: number;
  min: number;
  max: number;
  n: number;
}

/** Per cost measure; null when no seed has the number. */
export type CostSpread = Record<keyof Cost, Spread | null>;

export interface MethodSpread {
  label: string;
  method: string;
  seeds: number;
  reached: number;
  finalValLoss: Spread | null;
  costToTarget: CostSpread;
  savingsWithoutSmall: CostSpread;
  savingsWithSmall: CostSpread;
  growthShare: CostSpread;
  /** Where the method starts on the reference's curve (savings.ts headStart), over the seeds that have it. */
  headStart: Spread | null;
}

/** One seed's savings, with its unigram line (null when its run has none). */
export interface SeedSavings extends Savings {
  seed: number;
  unigramLoss: number | null;
}

export type Verdict = 'ahead' | 'behind' | 'within';

/** Method a against method b on final loss (lower is better) and on savings (ELECTRA FLOPs, small model not charged; higher is better). */
export interface Comparison {
  a: string;
  b: string;
  /** By ranges: a seed that missed the target counts as worse than any that reached it; null when neither method ever reached it. */
  finalValLoss: Verdict | null;
  savings: Verdict | null;
  /** Seed by seed (a - b over the seeds both have; absent in results.json written before it). */
  paired?: { finalValLoss: PairedDifference; savings: PairedDifference };
}

export interface SavingsSummary {
  reference: string;
  seeds: number[];
  /** Whether the seeds scored one validation set (curves.ts pairedSeeds), so the paired verdicts hold. */
  pairedSeeds: boolean;
  /** The seeds' unigram lines (null when a seed has none). */
  unigramLoss: Spread | null;
  perSeed: SeedSavings[];
  methods: MethodSpread[];
  comparisons: Comparison[];
}

export function spread(values: readonly number[]): Spread | null {
  const n = values.length;
  if (n === 0) return null;
  const mean = values.reduce((a, v) => a + v, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, min: Math.min(...values), max: Math.max(...values), n };
}

/** 'ahead' when a's whole range is better than b's, 'behind' when worse, else 'within'. */
export function compareSpreads(a: Spread, b: Spread, lowerIsBetter: boolean): Verdict {
  const [aBest, aWorst, bBest, bWorst] = lowerIsBetter ? [a.min, a.max, b.min, b.max] : [-a.max, -a.min, -b.max, -b.min];
  if (aWorst < bBest) return 'ahead';
  if (bWorst < aBest) return 'behind';
  return 'within';
}

const present = <T>(xs: (T | null | undefined)[]): T[] => xs.filter((x): x is T => x !== null && x !== undefined);
const costSpread = (costs: (Cost | null)[]): CostSpread => Object.fromEntries(costKeys.map((k) => [k, spread(present(costs).map((c) => c[k]))])) as CostSpread;

function methodSpread(label: string, rows: MethodSavings[]): MethodSpread {
  return {
    label,
    method: rows[0]!.method,
    seeds: rows.length,
    reached: rows.filter((r) => r.reach !== null).length,
    finalValLoss: spread(present(rows.map((r) => r.finalValLoss))),
    costToTarget: costSpread(rows.map((r) => r.costWithoutSmall)),
    savingsWithoutSmall: costSpread(rows.map((r) => r.savingsWithoutSmall)),
    savingsWithSmall: costSpread(rows.map((r) => r.savingsWithSmall)),
    growthShare: costSpread(rows.map((r) => r.growthShare)),
    headStart: spread(present(rows.map((r) => r.headStart))),
  };
}

/**
 * Savings verdict, a seed that never reached the target counting as worse than any that did: a
 * is ahead when its worst seed beats b's best (a missed seed is a's worst; b's best is a missed
 * seed only when b never reached it). Null when neither reached it in any seed.
 */
function compareSavings(a: MethodSpread, b: MethodSpread): Verdict | null {
  if (a.reached === 0 && b.reached === 0) return null;
  const range = (m: MethodSpread): [number, number] => {
    const s = m.savingsWithoutSmall.flopsElectra;
    return [m.reached === m.seeds && s ? s.min : -Infinity, m.reached > 0 && s ? s.max : -Infinity];
  };
  const [aWorst, aBest] = range(a);
  const [bWorst, bBest] = range(b);
  if (aWorst > bBest) return 'ahead';
  if (bWorst > aBest) return 'behind';
  return 'within';
}

/** Seed by seed: a - b on final loss and on savings, over the seeds that have both methods. */
function pairedComparison(perSeed: readonly SeedSavings[], a: string, b: string): NonNullable<Comparison['paired']> {
  const both = perSeed.map((s) => [s.methods.find((m) => m.label === a), s.methods.find((m) => m.label === b)] as const).filter((p): p is readonly [MethodSavings, MethodSavings] => p[0] !== undefined && p[1] !== undefined);
  const loss = (m: MethodSavings) => m.finalValLoss;
  const saved = (m: MethodSavings) => m.savingsWithoutSmall?.flopsElectra ?? null;
  return {
    finalValLoss: pairedDifference(both.map(([x]) => loss(x)), both.map(([, y]) => loss(y)), false),
    savings: pairedDifference(both.map(([x]) => saved(x)), both.map(([, y]) => saved(y)), true),
  };
}

function compare(perSeed: readonly SeedSavings[], a: MethodSpread, b: MethodSpread): Comparison {
  const loss = a.finalValLoss && b.finalValLoss ? compareSpreads(a.finalValLoss, b.finalValLoss, true) : null;
  return { a: a.label, b: b.label, finalValLoss: loss, savings: compareSavings(a, b), paired: pairedComparison(perSeed, a.label, b.label) };
}

/** Each method's spread over the seeds (in the first seed's method order), and every pair compared; `pairedSeeds`: the seeds scored one validation set. */
export function summarise(perSeed: readonly SeedSavings[], pairedSeeds = true): SavingsSummary {
  if (perSeed.length === 0) throw new Error('savings summary: no seed has results');
  const labels = [...new Set(perSeed.flatMap((s) => s.methods.map((m) => m.label)))];
  const methods = labels.map((label) => methodSpread(label, present(perSeed.map((s) => s.methods.find((m) => m.label === label)))));
  const comparisons = methods.flatMap((a, i) => methods.slice(i + 1).map((b) => compare(perSeed, a, b)));
  const lines = perSeed.map((s) => s.unigramLoss);
  return { reference: perSeed[0]!.reference, seeds: perSeed.map((s) => s.seed), pairedSeeds, unigramLoss: lines.includes(null) ? null : spread(present(lines)), perSeed: [...perSeed], methods, comparisons };
}
