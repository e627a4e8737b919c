// Reading typed fields out of a parsed JSON spec, with one-line errors that name the field by
// its path (`spec.small.training.steps: must be an integer >= 1, got "ten"`). Every reader either
// returns a value of the right type or throws SpecError; `fallback` makes a field optional.

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

export function intField(o: Obj, path: string, key: string, min: number, fallback?: number): number {
  const what = `an integer >= ${min}`;
  const v = valueOf(o, path, key, what, fallback);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(`${path}.${key}`, `must be ${what}, got ${shown(v)}`);
  return v;
}

/** A finite number in [min, max] (or (min, max] when openMin). */
export function numberField(o: Obj, path: string, key: string, range: { min: number; max: number; openMin?: boolean }, fallback?: number): number {
  const what = `a number in ${range.openMin ? '(' : '['}${range.min}, ${range.max}]`;
  const v = valueOf(o, path, key, what, fallback);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < range.min || v > range.max || (range.openMin && v === range.min)) fail(`${path}.${key}`, `must be ${what}, got ${shown(v)}`);
  return v;
}

export function choiceField<T extends string>(o: Obj, path: string, key: string, choices: readonly T[], fallback?: T): T {
  const what = `one of ${choices.join(', ')}`;
  const v = valueOf(o, path, key, what, fallback);
  if (!choices.includes(v as T)) fail(`${path}.${key}`, `must be ${what}, got ${shown(v)}`);
  return v as T;
}

/** A string matching `pattern` (described by `what`). */
export function stringField(o: Obj, path: string, key: string, pattern: RegExp, what: string, fallback?: string): string {
  const v = valueOf(o, path, key, what, fallback);
  if (typeof v !== 'string' || !pattern.test(v)) fail(`${path}.${key}`, `must be ${what}, got ${shown(v)}`);
  return v;
}
