// Reading typed fields out of a parsed JSON spec, with one-line errors that name the field by
// its path (`spec.small.training.steps: must be an integer >= 1, got "ten"`). Every reader either
// returns a value of the right type or throws SpecError; `fallback` makes a field optional.
// Numbers and choices are checked by src/train/options.ts, as `ligo train`'s flags are.

import { rangeProblem, rangeText, type Range, type RunOption } from '../train/index.ts';

export class SpecError extends Error {
  override name = 'SpecError';
}

export type Obj = Record<string, unknown>;

const shown = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

export function fail(path: string, message: string): never {
  throw new SpecError(`${path}: ${message}`);
}

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function objectAt(v: unknown, path: string): Obj {
  if (!isObject(v)) fail(path, `must be a JSON object, got ${shown(v)}`);
  return v;
}

/** Refuses fields the spec does not know (a typo should not be silently ignored). */
export function onlyFields(o: Obj, path: string, known: readonly string[]): void {
  const unknown = Object.keys(o).find((k) => !known.includes(k));
  if (unknown !== undefined) fail(`${path}.${unknown}`, `unknown field; ${path} takes ${known.join(', ')}`);
}

function valueOf<T>(o: Obj, path: string, key: string, what: string, fallback: T | undefined): unknown {
  const v = o[key];
  if (v !== undefined) return v;
  if (fallback === undefined) fail(`${path}.${key}`, `required (${what})`);
  return fallback;
}

/** A value in `range` (src/train/options.ts), refused with the reason `ligo train` gives for a flag: 'must be an integer >= 1, got 0'. */
function rangeField(o: Obj, path: string, key: string, range: Range, fallback: number | string | undefined): unknown {
  const v = valueOf(o, path, key, rangeText(range), fallback);
  const problem = rangeProblem(range, v);
  if (problem) fail(`${path}.${key}`, `${problem}, got ${shown(v)}`);
  return v;
}

export function intField(o: Obj, path: string, key: string, min: number, fallback?: number): number {
  return rangeField(o, path, key, { kind: 'int', min }, fallback) as number;
}

/** A finite number in [min, max] (or (min, max] when openMin). */
export function numberField(o: Obj, path: string, key: string, range: { min: number; max: number; openMin?: boolean }, fallback?: number): number {
  return rangeField(o, path, key, { kind: 'number', ...range }, fallback) as number;
}

export function choiceField<T extends string>(o: Obj, path: string, key: string, choices: readonly T[], fallback?: T): T {
  return rangeField(o, path, key, { kind: 'choice', choices }, fallback) as T;
}

/** A run option's field (RUN_OPTIONS: its key and range); `fallback` is its default here, none when it is required. */
export function optionField(o: Obj, path: string, option: RunOption, fallback?: number): number;
export function optionField<T extends string>(o: Obj, path: string, option: RunOption, fallback: T): T;
export function optionField(o: Obj, path: string, option: RunOption, fallback?: number | string): number | string {
  return rangeField(o, path, option.field, option.range, fallback) as number | string;
}

/** A string matching `pattern` (described by `what`). */
export function stringField(o: Obj, path: string, key: string, pattern: RegExp, what: string, fallback?: string): string {
  const v = valueOf(o, path, key, what, fallback);
  if (typeof v !== 'string' || !pattern.test(v)) fail(`${path}.${key}`, `must be ${what}, got ${shown(v)}`);
  return v;
}
