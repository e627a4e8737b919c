// `ligo experiment SPEC [--out DIR]`: runs an experiment spec (src/experiment) and writes its
// report (src/report; report.html included): savings table on stdout, progress on stderr. The run directory defaults
// to runs/NAME-HASH (the spec's name and hash); running again continues or reuses what is done.
// Also what the other experiment commands (demo, report) share: running a spec and printing its report.

import { join } from 'node:path';
import { Command } from 'commander';
import { expectDirectory, guarded } from './common.ts';
import { listenForInterrupt, signalExitCode } from './interrupt.ts';
import { prepareExperimentData, readSpec, runExperiment, specHash, type ExperimentSpec, type RunOptions } from '../experiment/index.ts';
import { consoleProgress, stepDisplay } from '../train/index.ts';
import { writeReport, type Report } from '../report/index.ts';

const EXAMPLE = `
Example:
  ligo experiment experiments/demo.json --out runs/demo
  (the spec format: experiments/demo.json and src/experiment/spec.ts)`;

export function registerExperiment(program: Command): void {
  const cmd = program
    .command('experiment')
    .description('run an experiment spec: pretrain the small model, grow it with each method, train the large models and scratch, and report the savings')
    .argument('<spec>', 'experiment spec (JSON)')
    .option('--out <dir>', 'run directory (default: runs/NAME-HASH from the spec); a second run continues or reuses it')
    .addHelpText('after', EXAMPLE);
  guarded(cmd, async (specPath: string, o: { out?: string }) => {
    const spec = readSpec(specPath);
    if (o.out) expectDirectory('--out', o.out);
    await runAndReport(spec, o.out ?? join('runs', `${spec.name}-${specHash(spec)}`));
  });
}

const elapsed = (t0: number) => {
  const s = Math.round((performance.now() - t0) / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};

/** Progress on stderr: a line per leg, and train()'s and LiGO's steps on the display every long command uses. */
function progress(t0: number): RunOptions {
  let growing: ReturnType<typeof stepDisplay> | null = null;
  return {
    log: (line) => process.stderr.write(`[${elapsed(t0)}] ${line}\n`),
    observer: () => consoleProgress({ logEvery: 25 }),
    onGrowProgress: (step, total, loss) => {
      if (!growing || step === 1) {
        growing = stepDisplay({ label: 'growing: step', logEvery: Math.max(1, Math.round(total / 10)) });
        growing.start(total, 0);
      }
      growing.update(step, `loss ${loss.toFixed(4)}`);
      if (step === total) growing.stop();
    },
  };
}

const STOPPED = Symbol('stopped');

/** Tokenising the spec's own data, which Ctrl-C stops (nothing cached, exit code 130); the legs after it run to the end or die with the signal. */
async function stoppable<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T | typeof STOPPED> {
  const interrupt = listenForInterrupt({ first: 'stopping the tokenising (nothing is cached); press Ctrl-C again to quit at once', second: 'quit; nothing was cached' });
  try {
    return await work(interrupt.signal);
  } catch (e) {
    const signal = interrupt.received();
    if (!signal || e !== interrupt.signal.reason) throw e;
    process.stderr.write('stopped while tokenising (nothing was cached); run the same command again to start over\n');
    process.exitCode = signalExitCode(signal);
    return STOPPED;
  } finally {
    interrupt.dispose();
  }
}

/** Runs the spec in `dir`, writes the report (report.html too), prints the savings tables and the files written; null when Ctrl-C stopped it first. */
export async function runAndReport(spec: ExperimentSpec, dir: string): Promise<Report | null> {
  const t0 = performance.now();
  const prepared = await stoppable((signal) => prepareExperimentData(spec, dir, { signal }));
  if (prepared === STOPPED) return null;
  const run = runExperiment(spec, dir, { ...progress(t0), ...(prepared ? { prepared } : {}) });
  const report = printReport(dir, { html: true });
  process.stderr.write(`[${elapsed(t0)}] done: ${run.ran.length} legs run, ${run.reused.length} reused (${run.reused.join(', ') || 'none'})\n`);
  return report;
}

/** Writes the report of `dir` (with the HTML page when asked) and prints its tables and files. */
export function printReport(dir: string, opts: { html?: boolean } = {}): Report {
  const report = writeReport(dir, { html: opts.html === true });
  console.log(report.tables);
  console.log(`\nwrote ${report.files.map((f) => join(dir, f)).join(', ')}`);
  return report;
}
