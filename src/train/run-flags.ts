// run.json: the flags a `ligo train` run keeps in its run directory (src/cli/train.ts writes it;
// a resume, `ligo report` and `ligo inspect` read it). The flags that name files (--from, a
// --config file, own --data and --val-data, --tokenizer, --ki-teacher, --cache-dir) are recorded
// resolved, as absolute paths, so the run resumes, reports and shows its lineage from any working
// directory. A run.json written before holds them as typed, relative to the directory the run was
// started from; it is read as it always was, relative to the working directory.

import fs from 'node:fs';
import { join, resolve } from 'node:path';
import { presetNames } from '../models/index.ts';

export const RUN_FILE = 'run.json';

const PATH_FLAGS = new Set(['from', 'config', 'data', 'valData', 'tokenizer', 'kiTeacher', 'cacheDir']);

/** A flag's value with the paths it names resolved against the working directory; preset and dataset names (a --data string) stay names. */
export function resolvedFlag(flag: string, value: unknown): unknown {
  if (!PATH_FLAGS.has(flag)) return value;
  if (Array.isArray(value)) return value.map((p) => resolve(String(p)));
  if (typeof value !== 'string' || flag === 'data' || (flag === 'config' && presetNames.includes(value))) return value;
  return resolve(value);
}

/** The flags with every path resolved (resolvedFlag). */
export function withResolvedPaths<T extends object>(flags: T): T {
  return Object.fromEntries(Object.entries(flags).map(([k, v]) => [k, resolvedFlag(k, v)])) as T;
}

/** RUN_DIR/run.json with its paths resolved (an older file's against the working directory); null when the run has none. */
export function readRunFlags<T extends object = Record<string, unknown>>(runDir: string): T | null {
  const path = join(runDir, RUN_FILE);
  return fs.existsSync(path) ? withResolvedPaths(JSON.parse(fs.readFileSync(path, 'utf8')) as T) : null;
}
