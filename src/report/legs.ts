// Which legs of an experiment are still to finish, seed by seed: a leg is finished once its
// done.json exists (src/experiment/layout.ts); until then it is running (a live process holds its
// run lock), stopped at the step its log reached, or not started. The report says so wherever it
// shows numbers: a sentence before the tables (stdout, results.md, report.html), `inProgress` in
// results.json, and each method's row of the page's savings table, for every seed of that method.

import fs from 'node:fs';
import { join } from 'node:path';
import { DONE_FILE, downstreamDir, legDir, methodBudget, seedRoots, smallDir, trainDir, usesSmall, type ExperimentSpec } from '../experiment/index.ts';
import { runStatus, type RunStatus } from './lineage.ts';

export interface UnfinishedLeg {
  /** The seed; null in a one-seed experiment. */
  seed: number | null;
  /** 'small', a method's label, or 'LABEL/downstream'. */
  leg: string;
  status: RunStatus;
}

/** Every leg of every seed without its done.json, in the order the runner runs them. */
export function unfinishedLegs(dir: string, spec: ExperimentSpec): UnfinishedLeg[] {
  const roots = seedRoots(spec, dir);
  return roots.flatMap(({ seed, root }) => {
    const legs = [
      ...(spec.methods.some(usesSmall) ? [{ leg: 'small', path: smallDir(root), steps: spec.small.training.steps }] : []),
      ...spec.methods.map((m) => ({ leg: m.label, path: legDir(root, m.label), steps: methodBudget(spec.large.training, m).steps })),
      ...(spec.downstream?.methods ?? []).map((label) => ({ leg: `${label}/downstream`, path: downstreamDir(legDir(root, label)), steps: spec.downstream!.training.steps })),
    ];
    return legs.filter((l) => !fs.existsSync(join(l.path, DONE_FILE))).map((l) => ({ seed: roots.length > 1 ? seed : null, leg: l.leg, status: runStatus(trainDir(l.path), l.steps) }));
  });
}

/** An unfinished leg's state (its log may reach the last step while done.json is still to be written: stopped). */
export function legState(s: RunStatus): 'running' | 'stopped' | 'not started' {
  return s.state === 'running' ? 'running' : s.step === 0 ? 'not started' : 'stopped';
}

/** 'running, step 12 of 40', 'stopped at step 12 of 40' or 'not started'. */
export function legStateText(s: RunStatus): string {
  const of = s.steps !== null ? ` of ${s.steps}` : '';
  const state = legState(s);
  return state === 'running' ? `running, step ${s.step}${of}` : state === 'stopped' ? `stopped at step ${s.step}${of}` : state;
}

const seedPart = (l: UnfinishedLeg) => (l.seed === null ? '' : `seed ${l.seed} `);

/** The sentence before the tables; null when every leg has finished. */
export function inProgressText(legs: readonly UnfinishedLeg[]): string | null {
  if (legs.length === 0) return null;
  const seeds = [...new Set(legs.map((l) => l.seed))];
  const items = seeds.map((seed) => `${seed === null ? '' : `seed ${seed}: `}${legs.filter((l) => l.seed === seed).map((l) => `${l.leg} (${legStateText(l.status)})`).join(', ')}`);
  return `In progress: ${items.join('; ')}. Their numbers are as far as they got; run the experiment again to finish them.`;
}

/** What a method's row says: 'in progress: stopped at step 4 of 40', or per seed 'in progress: seed 1 stopped at step 4 of 40, seed 2 not started'; null when all its seeds finished. */
export function methodProgress(legs: readonly UnfinishedLeg[], label: string): string | null {
  const own = legs.filter((l) => l.leg === label);
  return own.length === 0 ? null : `in progress: ${own.map((l) => `${seedPart(l)}${legStateText(l.status)}`).join(', ')}`;
}

/** results.json's `inProgress`. */
export const inProgressJson = (legs: readonly UnfinishedLeg[]) => legs.map((l) => ({ seed: l.seed, leg: l.leg, state: legState(l.status), step: l.status.step, steps: l.status.steps }));
