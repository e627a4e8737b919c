// A one-seed run read against a seeded run of the same growth (the demo against RESULTS.md's
// seeded BERT width+depth row): per method found in both, its savings here beside the seeds'
// mean and range, and where the one seed falls (inside the range, above it, below it); then, from
// the seeded run, each pair's verdict on savings: seed by seed (mean difference, 95% paired
// interval, sign count) when its seeds scored one validation set, else by ranges.

import type { Comparison, MethodSpread, SavingsSummary, Spread } from './spread.ts';
import { pairedText, percent as pct, verdictText } from './table.ts';

/** The parts of a seeded run's results.json read here. */
export interface SeededResults {
  experiment: string;
  seeds: number[];
  /** Whether its seeds scored one validation set (absent in results.json written before it was recorded). */
  pairedSeeds?: boolean;
  methods: { label: string; spread: MethodSpread }[];
  comparisons?: Comparison[];
}

function placement(x: number, s: Spread): string {
  if (x < s.min) return 'below the seeds\' range';
  if (x > s.max) return 'above the seeds\' range';
  return 'inside the seeds\' range';
}

/** Savings (ELECTRA FLOPs, small model paid) of one seed's methods against the seeded run's. */
export function againstSeeded(run: SavingsSummary, seeded: SeededResults): string[] {
  const lines: string[] = [];
  for (const m of run.methods) {
    if (m.label === run.reference) continue;
    const here = m.savingsWithoutSmall.flopsElectra;
    const other = seeded.methods.find((s) => s.label === m.label)?.spread;
    if (!other) continue;
    const s = other.savingsWithoutSmall.flopsElectra;
    const reached = here && m.reached === m.seeds;
    const hereText = reached ? `${pct(here.mean)} saved here${s ? ` (${placement(here.mean, s)})` : ''}` : "scratch's loss not reached here";
    const seededText = s ? `mean ${pct(s.mean)}, range ${pct(s.min)} to ${pct(s.max)} over the ${other.reached} of ${other.seeds} seeds that reached scratch's loss` : `scratch's loss not reached in any of ${other.seeds} seeds`;
    lines.push(`${m.label}: ${hereText}; ${seeded.experiment}: ${seededText}`);
  }
  for (const c of seeded.comparisons ?? []) {
    if (!run.methods.some((m) => m.label === c.a) || !run.methods.some((m) => m.label === c.b) || c.a === run.reference || c.b === run.reference) continue;
    lines.push(seeded.pairedSeeds && c.paired ? `${seeded.experiment}: ${c.a} − ${c.b}, paired over its seeds: savings ${pairedText(c.paired.savings, c.a, c.b, 'savings')}; final loss ${pairedText(c.paired.finalValLoss, c.a, c.b, 'loss')}` : `${seeded.experiment}: ${c.a} vs ${c.b} on savings: ${verdictText(c.savings, c.a, c.b)} (seeds not paired)`);
  }
  return lines;
}
