// `ligo report DIR [--html]`: re-derives an experiment's savings table and plots from its run
// directory's logs (src/report) and prints the table; useful after changing the report code or
// while a run is still going (methods without results yet are left out). --html also writes
// DIR/report.html, one self-contained page (the table, interactive charts, training curves, the
// configs) to open in a browser. --target LOSS prints the tables measured to that validation
// loss instead of the reference's final one (e.g. a baseline's final loss: what it costs each
// method to get there), leaving the files as they are.
//
// `ligo report RUN [RUN...] [--html]` on `ligo train` run directories prints a summary of each
// run (steps, last losses, FLOPs, wall time); --html writes the page of their curves (validation
// and training loss, learning rate, gradient norm, throughput per step) and the differences
// between their settings into the first RUN's report.html.

import fs from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { UsageError, guarded, numberIn } from './common.ts';
import { printReport } from './experiment.ts';

const EXAMPLE = `
Examples:
  ligo report ./ligo-demo
  ligo report ./ligo-demo --html     (then open ./ligo-demo/report.html)
  ligo report ./ligo-demo --target 6.5   (what each method needs to reach that validation loss, e.g. a baseline's final one)
  ligo report runs/bert-mini runs/bert-more --html   (\`ligo train\` runs: their curves on one page, runs/bert-mini/report.html)`;

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description("re-derive an experiment's savings table (results.md, results.json) and plots from its run directory, or summarise and plot `ligo train` runs")
    .argument('<dirs...>', 'a run directory written by `ligo experiment` or `ligo demo`, or one or more `ligo train` run directories')
    .option('--html', 'also write report.html (into DIR, or the first RUN): one self-contained page with the tables, interactive charts and the configs')
    .option('--target <loss>', 'experiments: print the tables measured to this validation loss instead (files unchanged)', numberIn(0, 1e6, true))
    .addHelpText('after', EXAMPLE);
  guarded(cmd, async (dirs: string[], o: { html?: boolean; target?: number }) => {
    const { SPEC_FILE } = await import('../experiment/index.ts');
    for (const d of dirs) if (!fs.existsSync(d) || !fs.statSync(d).isDirectory()) throw new UsageError(`${d} is not a directory: give an experiment's or a training run's directory`);
    const experiments = dirs.filter((d) => fs.existsSync(join(d, SPEC_FILE)));
    if (experiments.length > 0) {
      if (dirs.length > 1) throw new UsageError(`${experiments[0]} is an experiment: report it on its own (its page compares its methods)`);
      await reportExperiment(dirs[0]!, o);
      return;
    }
    if (o.target !== undefined) throw new UsageError('--target measures an experiment\'s savings; these are training runs');
    await reportRuns(dirs, o.html === true);
  });
}

async function reportExperiment(dir: string, o: { html?: boolean; target?: number }): Promise<void> {
  const { HTML_REPORT, readCurves, reportTables, summariseRun } = await import('../report/index.ts');
  if (o.target !== undefined) {
    if (o.html) throw new UsageError('--target prints tables only; run --html without it');
    console.log(reportTables(summariseRun(readCurves(dir), o.target))); // every seed, at the one target
    return;
  }
  await printReport(dir, { html: o.html === true });
  if (o.html) console.log(`open ${pathToFileURL(resolve(dir, HTML_REPORT)).href} in a browser`);
}

async function reportRuns(dirs: string[], html: boolean): Promise<void> {
  const { readRun } = await import('../report/runs.ts');
  const { runLabels, runsReport, HTML_REPORT } = await import('../report/html.ts');
  const { latestCheckpointDir, LOG_FILE } = await import('../train/index.ts');
  const labels = runLabels(dirs);
  const runs = dirs.map((d, i) => {
    const r = readRun(d, labels[i]!);
    if (!r) throw new UsageError(`${d} holds no experiment (no spec.json) and no training run (no ${LOG_FILE}): give the directory \`ligo experiment\` or \`ligo train --out\` wrote`);
    return r;
  });
  const readJson = (path: string | null) => (path && fs.existsSync(path) ? (JSON.parse(fs.readFileSync(path, 'utf8')) as Record<string, unknown>) : null);
  const settings = dirs.map((d) => readJson(join(d, 'run.json')) ?? {});
  const configs = dirs.map((d) => {
    const ckpt = latestCheckpointDir(d);
    return readJson(ckpt && join(ckpt, 'config.json'));
  });
  const width = Math.max(3, ...runs.map((r) => r.label.length));
  console.log(`${'run'.padEnd(width)}  steps  train loss  val loss  FLOPs (ELECTRA)  wall time`);
  for (const r of runs) {
    const last = r.train.at(-1);
    const val = r.evals.at(-1);
    console.log(`${r.label.padEnd(width)}  ${String(last?.step ?? 0).padStart(5)}  ${(last ? last.loss.toFixed(4) : '-').padStart(10)}  ${(val ? val.valLoss.toFixed(4) : '-').padStart(8)}  ${(last ? last.flopsElectra.toExponential(3) : '-').padStart(15)}  ${last ? `${last.wallSeconds.toFixed(1)} s` : '-'}`);
  }
  if (!html) return;
  const path = join(dirs[0]!, HTML_REPORT);
  fs.writeFileSync(path, runsReport(runs, settings, configs, `ligo report ${dirs.join(' ')} --html`));
  console.log(`\nwrote ${path}\nopen ${pathToFileURL(resolve(path)).href} in a browser`);
}
