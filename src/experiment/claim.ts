// Claiming a run directory for a spec: a new (or empty) directory gets spec.json (the normalised
// spec and its hash); a directory that holds the same spec is continued; one that holds another
// spec, or other files, is refused with a one-line ExperimentError naming the first field that
// differs, so runs of different specs never mix. One change is allowed: a spec that only adds
// methods (every method the directory holds is still there, unchanged), a downstream section
// where there was none, or seeds after the ones a several-seed run holds (same seeds first, in
// order: the first seed fixes the shared validation set) extends the run: the new legs share
// the data, tokenizer and validation set, so they are run and compared beside the finished ones,
// and spec.json takes the new spec and hash. (A one-seed directory keeps its legs in DIR itself,
// not under seeds/, so it does not extend to several seeds.)

import fs from 'node:fs';
import { join } from 'node:path';
import { LOCK_FILE } from '../train/index.ts';
import { isObject } from './fields.ts';
import { SPEC_FILE, readJsonIfExists, writeJson, type SpecRecord } from './layout.ts';
import { specHash, type ExperimentSpec } from './spec.ts';

export class ExperimentError extends Error {
  override name = 'ExperimentError';
}

/** The path of the first value that differs between a and b (e.g. 'large.training.steps'), or null. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const d = firstDifference(a[k], b[k], path ? `${path}.${k}` : k);
      if (d !== null) return d;
    }
    return null;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? null : path || '(the whole spec)';
}

/** Whether `next` is `held` with methods, a downstream section or later seeds added: held's methods all kept, unchanged; held's seeds first, in order. */
function onlyAdds(held: ExperimentSpec, next: ExperimentSpec): boolean {
  const rest = (s: ExperimentSpec) => ({ ...s, methods: [], seeds: undefined, downstream: held.downstream ? s.downstream : undefined });
  if (firstDifference(rest(held), rest(next)) !== null) return false;
  if (held.seeds ? !next.seeds || firstDifference(held.seeds, next.seeds.slice(0, held.seeds.length)) !== null : next.seeds) return false;
  return held.methods.every((m) => {
    const same = next.methods.find((n) => n.label === m.label);
    return same !== undefined && firstDifference(m, same) === null;
  });
}

/** Refuses a path that exists but is not a directory (before anything is created there). */
export function requireDirectoryPath(dir: string): void {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) throw new ExperimentError(`${dir} exists and is not a directory: choose another output directory`);
}

/** Takes `dir` for `spec` (see the header); returns the spec's hash. */
export function claimDir(dir: string, spec: ExperimentSpec): string {
  const hash = specHash(spec);
  const path = join(dir, SPEC_FILE);
  const held = readJsonIfExists<SpecRecord>(path);
  if (held) {
    if (held.hash === hash) return hash;
    if (onlyAdds(held.spec, spec)) {
      writeJson(path, { hash, spec } satisfies SpecRecord);
      return hash;
    }
    const field = firstDifference(held.spec, spec) ?? '(none: the spec format changed)';
    throw new ExperimentError(`${dir} holds a run of another spec (hash ${held.hash}, this spec's is ${hash}; first difference: spec.${field}): use another output directory, or delete ${dir} to start over`);
  }
  const others = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f !== LOCK_FILE) : [];
  if (others.length > 0) throw new ExperimentError(`${dir} is not empty and holds no experiment (no ${SPEC_FILE}): choose a new or empty output directory`);
  fs.mkdirSync(dir, { recursive: true });
  writeJson(path, { hash, spec } satisfies SpecRecord);
  return hash;
}

/** The spec record of a run directory, or an ExperimentError saying it holds none. */
export function readSpecRecord(dir: string): SpecRecord {
  const record = readJsonIfExists<SpecRecord>(join(dir, SPEC_FILE));
  if (!record) throw new ExperimentError(`${dir} holds no experiment (no ${SPEC_FILE}): give the directory that \`ligo experiment\` or \`ligo demo\` wrote`);
  return record;
}
