// Savings as the LiGO paper defines them (docs/growth.md, "Savings"): the target is
// the reference (scratch) run's final validation loss; for every method, the cost for the large
// model to first reach the target, interpolating linearly between validation points (a target
// already met at the first point costs that point); savings = 1 - cost(method) / cost(scratch).
// Costs are FLOPs in both conventions (never mixed) and wall time; each method is charged its
// growth (LiGO's operator steps), and, in the "with small" variant, the small model's
// pretraining when it used the small model (grew from it, or distilled it). A method that never
// reaches the target has no cost and no savings ("not reached"). The growth's cost is also
// given in proportion: as a share of the reference's whole large-model training (its budget).

import type { Cost } from '../flops.ts';

export type { Cost };

export const costKeys = ['flopsElectra', 'flopsSixN', 'wallSeconds'] as const;

/** A validation record of the large model's training: cumulative training cost at `step`. */
export interface ValPoint extends Cost {
  step: number;
  valLoss: number;
}

export interface MethodCurve {
  label: string;
  method: string;
  points: ValPoint[];
  /** The growth's own cost (zero for scratch). */
  growth: Cost;
  /** Whether the method used the small model (so its pretraining can be charged). */
  usesSmall: boolean;
  /** The small model's pretraining to charge this method, when it is not the one of computeSavings' `small` (plain runs: each run's own lineage). */
  smallCost?: Cost;
}

export interface Reach extends Cost {
  /** Interpolated (fractional) training step where the target was first reached. */
  step: number;
}

export interface MethodSavings {
  label: string;
  method: string;
  finalValLoss: number | null;
  /** Training only (no growth, no small model); null: not reached. */
  reach: Reach | null;
  /** Growth + training to the target; with the small model's pretraining added when it was used. */
  costWithoutSmall: Cost | null;
  costWithSmall: Cost | null;
  /** 1 - cost / reference cost, per measure (negative: more expensive than scratch). */
  savingsWithoutSmall: Cost | null;
  savingsWithSmall: Cost | null;
  /** The growth's cost / the reference's whole training cost, per measure (0 for scratch and fixed operators); null when that cost is 0. */
  growthShare: Cost | null;
  /**
   * Where the method's model starts on the reference's curve: the share of the reference's
   * training FLOPs (ELECTRA) at which the reference first reaches this method's first validation
   * loss (0: it starts no lower than the reference); null when the reference never gets that low.
   */
  headStart: number | null;
}

export interface Savings {
  reference: string;
  /** The reference run's final validation loss. */
  targetLoss: number;
  small: Cost;
  methods: MethodSavings[];
}

const map = (f: (k: (typeof costKeys)[number]) => number): Cost => ({ flopsElectra: f('flopsElectra'), flopsSixN: f('flopsSixN'), wallSeconds: f('wallSeconds') });
const add = (a: Cost, b: Cost): Cost => map((k) => a[k] + b[k]);

/** Where a curve first reaches `target` (valLoss <= target), linearly interpolated; null if never. */
export function firstReach(points: readonly ValPoint[], target: number): Reach | null {
  const i = points.findIndex((p) => p.valLoss <= target);
  if (i < 0) return null;
  const p = points[i]!;
  if (i === 0) return { step: p.step, ...map((k) => p[k]) };
  const q = points[i - 1]!;
  const t = (q.valLoss - target) / (q.valLoss - p.valLoss);
  const lerp = (a: number, b: number) => a + t * (b - a);
  return { step: lerp(q.step, p.step), ...map((k) => lerp(q[k], p[k])) };
}

/** The share of the reference's FLOPs (ELECTRA) at which its curve first reaches `start`. */
function headStart(reference: readonly ValPoint[], start: number | null, budget: number): number | null {
  if (start === null || !(budget > 0)) return null;
  const at = firstReach(reference, start);
  return at ? at.flopsElectra / budget : null;
}

/**
 * Savings against the reference's final validation loss, or against `targetLoss` when given (e.g.
 * a baseline's final loss, below the reference's: methods that reach it still get their cost, and
 * savings only where the reference reaches it too).
 */
export function computeSavings(curves: readonly MethodCurve[], referenceLabel: string, small: Cost, targetLoss?: number): Savings {
  const reference = curves.find((c) => c.label === referenceLabel);
  if (!reference) throw new Error(`savings: no curve for the reference method '${referenceLabel}'`);
  const last = reference.points.at(-1);
  if (!last) throw new Error(`savings: the reference method '${referenceLabel}' has no validation points`);
  const target = targetLoss ?? last.valLoss;
  const withCosts = curves.map((c) => {
    const reach = firstReach(c.points, target);
    const without = reach ? add(map((k) => reach[k]), c.growth) : null;
    return { c, reach, without, with: without && c.usesSmall ? add(without, c.smallCost ?? small) : without };
  });
  const ref = withCosts.find((w) => w.c === reference)!;
  const saved = (cost: Cost | null, base: Cost | null) => (cost && base ? map((k) => 1 - cost[k] / base[k]) : null);
  const budget = map((k) => last[k]);
  const share = (growth: Cost) => (costKeys.every((k) => budget[k] > 0) ? map((k) => growth[k] / budget[k]) : null);
  return {
    reference: referenceLabel,
    targetLoss: target,
    small,
    methods: withCosts.map((w) => ({
      label: w.c.label,
      method: w.c.method,
      finalValLoss: w.c.points.at(-1)?.valLoss ?? null,
      reach: w.reach,
      costWithoutSmall: w.without,
      costWithSmall: w.with,
      savingsWithoutSmall: saved(w.without, ref.without),
      savingsWithSmall: saved(w.with, ref.with),
      growthShare: share(w.c.growth),
      headStart: headStart(reference.points, w.c.points[0]?.valLoss ?? null, budget.flopsElectra),
    })),
  };
}
