// What every `ligo` command shares: one-line errors, exit codes that scripts can rely on
// (0 ok, 2 bad usage or input, 1 unexpected — a diverged or locked run included), and the
// typed flag parsers.

import { Command, InvalidArgumentError } from 'commander';

/** Bad usage or input found by a command itself (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Error classes (by name) that mean the user's input is wrong: exit code 2, not 1. */
const USAGE_ERRORS = new Set(['UsageError', 'SpecError', 'ExperimentError', 'ConfigError', 'GrowError', 'CheckpointError']);

/** Wires one-line errors and exit codes into a command; `run` receives commander's action arguments. */
export function guarded<A extends unknown[]>(cmd: Command, run: (...args: A) => Promise<void>): Command {
  const name = `ligo ${cmd.name()}`;
  cmd
    .showHelpAfterError(false)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0]!.replace(/^error:/, `${name}: error:`) + '\n') })
    .action(async (...args: unknown[]) => {
      try {
        await run(...(args as A));
      } catch (e) {
        const usage = e instanceof UsageError || USAGE_ERRORS.has((e as Error).name);
        process.stderr.write(`${name}: ${usage ? 'error: ' : ''}${(e as Error).message.split('\n')[0]}\n`);
        process.exit(usage ? 2 : 1);
      }
    });
  return cmd;
}

/** Flag parser: an integer >= min. */
export const intAtLeast = (min: number) => (v: string) => {
  const n = Number(v);
  if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer >= ${min}`);
  return n;
};

/** Flag parser: a number in [lo, hi] (or (lo, hi] when loOpen). */
export const numberIn = (lo: number, hi: number, loOpen: boolean) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n > hi || n < lo || (loOpen && n === lo)) throw new InvalidArgumentError(`must be a number in ${loOpen ? '(' : '['}${lo}, ${hi}]`);
  return n;
};
