// `ligo experiment SPEC [--out DIR]`: runs an experiment spec (src/experiment) and writes its
// report (src/report; report.html included): savings table on stdout, progress on stderr. The run directory defaults
// to runs/NAME-HASH (the spec's name and hash); running again continues or reuses what is done.
// Also what the other experiment commands (demo, report) share: running a spec and printing its report.
//
// Ctrl-C (src/cli/interrupt.ts) is answered at once and stops the run where it is: tokenising
// (nothing cached), a leg's training (after the current step, with a checkpoint there), a learned
// growth (after the current operator step; the growth is redone), or between legs; it exits 130
// and prints the command that resumes. A second Ctrl-C quits at once, removing the locks held.

import { join } from 'node:path';
import { Command } from 'commander';
import { expectDirectory, guarded } from './common.ts';
import { listenForInterrupt, signalExitCode, type StopPlan } from './interrupt.ts';
import { prepareExperimentData, readSpec, runExperiment, specHash, type ExperimentRun, type ExperimentSpec, type LegPhase, type RunOptions, type StoppedLeg } from '../experiment/index.ts';
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
    const dir = o.out ?? join('runs', `${spec.name}-${specHash(spec)}`);
    await runAndReport(spec, dir, `ligo experiment ${specPath} --out ${dir}`);
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

/** What a first and a second Ctrl-C do in each phase of the run; `resume` is the command that continues it. */
function stopPlan(phase: LegPhase | 'tokenising' | 'starting', resume: string): StopPlan {
  const quitAtOnce = 'press Ctrl-C again to quit at once';
  if (phase === 'tokenising') return { first: `stopping the tokenising (nothing is cached); ${quitAtOnce}`, second: 'quit; nothing was cached' };
  if (phase === 'starting') return { first: `stopping before the first leg; ${quitAtOnce}`, second: `quit; run it again with: ${resume}` };
  if (phase.kind === 'growing') return { first: `stopping ${phase.leg}'s growth after the current operator step (nothing of it is written); ${quitAtOnce}`, second: `quit; ${phase.leg}'s growth is redone when you run: ${resume}`, remove: phase.locks };
  return { first: `stopping after the current step and saving a checkpoint; ${quitAtOnce} without saving`, second: `quit without saving; resume from the last checkpoint with: ${resume}`, remove: phase.locks };
}

/** The line after a clean stop (the report of the finished legs is one command away). */
function stoppedLine(s: StoppedLeg, dir: string, resume: string): string {
  const where = s.step === null ? `stopped before ${s.leg} trained (a growth in progress is redone)` : `stopped ${s.leg} at step ${s.step}${s.checkpointDir ? `; checkpoint ${s.checkpointDir}` : ''}`;
  return `${where}; the legs finished so far: ligo report ${dir}; resume with: ${resume}\n`;
}

/**
 * Runs the spec in `dir`, writes the report (report.html too), prints the savings tables and the
 * files written; null when Ctrl-C stopped it first (exit code 130; `resume`, the command that
 * continues it, is printed).
 */
export async function runAndReport(spec: ExperimentSpec, dir: string, resume: string): Promise<Report | null> {
  const t0 = performance.now();
  const interrupt = listenForInterrupt(stopPlan('tokenising', resume));
  let run: ExperimentRun;
  try {
    const prepared = await prepareExperimentData(spec, dir, { signal: interrupt.signal });
    interrupt.plan(stopPlan('starting', resume));
    run = runExperiment(spec, dir, { ...progress(t0), ...(prepared ? { prepared } : {}), stop: interrupt.signal, onPhase: (phase) => interrupt.plan(stopPlan(phase, resume)) });
  } catch (e) {
    const signal = interrupt.received();
    if (!signal || e !== interrupt.signal.reason) throw e;
    process.stderr.write(`stopped while tokenising (nothing was cached); run it again with: ${resume}\n`);
    process.exitCode = signalExitCode(signal);
    return null;
  } finally {
    interrupt.dispose();
  }
  if (run.stopped) {
    process.stderr.write(stoppedLine(run.stopped, dir, resume));
    process.exitCode = signalExitCode(interrupt.received() ?? 'SIGINT');
    return null;
  }
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
