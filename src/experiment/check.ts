// What an experiment checks as it starts, and its spec's parsing does not: every growth method
// tried on the spec's configs (grow's checkMethod grows freshly initialised weights). It runs
// before the run directory is claimed, own data is tokenised or anything is trained, and its
// errors are SpecErrors naming the method (`spec.methods[1]: ligo: unknown option 'stpes'; ...`).

import { checkMethod } from '../grow/index.ts';
import { at, resolveModels, standInVocab } from './configs.ts';
import { SCRATCH, type ExperimentSpec } from './spec.ts';

const checked = new WeakSet<ExperimentSpec>();

/** Tries every growth method of the spec; a spec is tried once (`ligo experiment` prepares own data, then runs). */
export function checkMethods(spec: ExperimentSpec): void {
  if (checked.has(spec)) return;
  const { small, large } = resolveModels(spec, standInVocab(spec));
  spec.methods.forEach((m, i) => {
    if (m.name !== SCRATCH) at(`spec.methods[${i}]`, () => checkMethod(m.name, m.options, small, large, spec.seed));
  });
  checked.add(spec);
}
