// What every `ligo` command shares: one-line errors, exit codes that scripts can rely on
// (0 ok, 2 bad usage or input, 1 unexpected — a diverged or locked run included), and the
// typed flag parsers (a run option's range, default and help line come from src/train/options.ts).

import fs from 'node:fs';
import { dirname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { rangeProblem, valueFromText, type Range, type RunOption } from '../train/index.ts';

/** Bad usage or input found by a command itself (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Error classes (by name) that mean the user's input is wrong: exit code 2, not 1. */
const USAGE_ERRORS = new Set(['UsageError', 'SpecError', 'ExperimentError', 'ConfigError', 'GrowError', 'CheckpointError', 'DataError']);

/** Filesystem failures that mean the user pointed at a place we cannot use, with what to change. */
const FS_REASONS: Record<string, string> = {
  ENOTDIR: 'a parent of this path is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EISDIR: 'is a directory where a file was expected',
  ENOSPC: 'no space left on the device',
};

/** The one-line message and whether it is the user's to fix (exit 2) for any thrown value. */
export function describeError(e: unknown): { message: string; usage: boolean } {
  const err = e as NodeJS.ErrnoException;
  const reason = err.code ? FS_REASONS[err.code] : undefined;
  if (reason && err.path) return { message: `cannot use ${err.path}: ${reason}; choose another location`, usage: true };
  const usage = e instanceof UsageError || USAGE_ERRORS.has(err.name);
  return { message: String(err.message ?? e).split('\n')[0]!, usage };
}

/** Commander's "error: unknown option '--stpes'\n(Did you mean --steps?)" as "NAME: error: unknown option '--stpes' (did you mean --steps?)". */
export function oneLineError(str: string, name: string): string {
  const [first, ...rest] = str.trim().split('\n');
  const hint = rest.map((l) => l.replace(/^\((.*)\)$/, '$1')).join(' ');
  return `${first!.replace(/^error:/, `${name}: error:`)}${hint ? ` (${hint[0]!.toLowerCase()}${hint.slice(1)})` : ''}`;
}

/** The candidate closest to `word` by edit distance, when close enough to be a typo (a third of its letters, 1 to 3 edits); else null. */
export function closest(word: string, candidates: readonly string[]): string | null {
  const distance = (a: string, b: string) => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      row = next;
    }
    return row[b.length]!;
  };
  const best = candidates.map((c) => ({ c, d: distance(word.toLowerCase(), c.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(1, Math.min(3, Math.floor(word.length / 3))) ? best.c : null;
}

/** '--config bert-tinny is neither a preset nor a file: did you mean bert-tiny? (`ligo presets` lists the presets)'. */
export function notPresetOrFile(flag: string, name: string, presets: readonly string[]): string {
  const near = closest(name, presets);
  return `${flag} ${name} is neither a preset nor a file${near ? `: did you mean ${near}?` : ''} (\`ligo presets\` lists the presets)`;
}

/** Wires one-line errors and exit codes into a command; `run` receives commander's action arguments. */
export function guarded<A extends unknown[]>(cmd: Command, run: (...args: A) => Promise<void>): Command {
  const name = `ligo ${cmd.name()}`;
  cmd
    .showHelpAfterError(false)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .configureOutput({ outputError: (str, write) => write(`${oneLineError(str, name)}\n`) })
    .action(async (...args: unknown[]) => {
      try {
        await run(...(args as A));
      } catch (e) {
        const { message, usage } = describeError(e);
        process.stderr.write(`${name}: ${usage ? 'error: ' : ''}${message}\n`);
        process.exit(usage ? 2 : 1);
      }
    });
  return cmd;
}

/** Flag parser: a value in `range`, refused with the reason a spec field gets (src/train/options.ts). */
export const inRange = (range: Range) => (v: string) => {
  const value = valueFromText(range, v);
  const problem = rangeProblem(range, value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
};

/** Flag parser: an integer >= min. */
export const intAtLeast = (min: number) => inRange({ kind: 'int', min }) as (v: string) => number;

/** Flag parser: a number in [lo, hi] (or (lo, hi] when loOpen). */
export const numberIn = (lo: number, hi: number, loOpen: boolean) => inRange({ kind: 'number', min: lo, max: hi, openMin: loOpen }) as (v: string) => number;

/**
 * The flag of a run option (RUN_OPTIONS): its range, help line and default. Options whose default
 * follows --steps, or belongs to a technique that is off until asked for (--layer-drop,
 * --token-drop), get none here: the run fills it in. `o` gives a command its own help or default.
 */
export function runOption(option: RunOption, o: { help?: string; default?: number | string } = {}): Option {
  const flag = new Option(option.flag, o.help ?? option.help);
  if (option.range.kind === 'choice') flag.choices(option.range.choices); // listed in the help; inRange refuses the rest
  flag.argParser(inRange(option.range));
  const given = typeof option.default === 'function' || option.place === 'layerDrop' || option.place === 'tokenDrop' ? undefined : option.default;
  const fallback = o.default ?? given;
  return fallback === undefined ? flag : flag.default(fallback);
}

/** Refuses a path that is a file where a directory is expected, naming the directory it may have meant. */
export function expectDirectory(flag: string, path: string): void {
  if (fs.existsSync(path) && !fs.statSync(path).isDirectory()) throw new UsageError(`${flag} ${path} is a file; it expects a directory: did you mean ${dirname(path)}?`);
}

/**
 * Runs `work`, which writes into `dir`; when it fails and `dir` did not exist before, removes
 * `dir` unless `kept()` says real output was written, so a refused command leaves nothing behind.
 */
export async function removeIfFailed<T>(dir: string, kept: () => boolean, work: () => Promise<T>): Promise<T> {
  const existed = fs.existsSync(dir);
  try {
    return await work();
  } catch (e) {
    if (!existed && !kept()) fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
