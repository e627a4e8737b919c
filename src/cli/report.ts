// `ligo report DIR [--html]`: re-derives an experiment's savings table and plots from its run
// directory's logs (src/report) and prints the table; useful after changing the report code or
// while a run is still going (methods without results yet are left out). --html also writes
// DIR/report.html, one self-contained page (the table, interactive charts, training curves, the
// configs) to open in a browser. --target LOSS prints the tables measured to that validation
// loss instead of the reference's final one (e.g. a baseline's final loss: what it costs each
// method to get there), leaving the files as they are. --json prints results.json's content
// (measured to --target when given) and writes nothing.
//
// `ligo report RUN [RUN...]` on `ligo train` / `ligo grow` runs (src/report/plain-runs.ts): a
// summary of each run (steps, last losses, FLOPs, wall time, in progress or finished, resumes),
// its lineage (grown from what, by which method, at what cost), and the savings against the run
// trained from scratch (or --reference RUN), each run charged its growth operators and, with
// --charge-small, its small model's training; --target LOSS as for experiments. Runs on
// different data or with different tokenizers are refused. --html writes the page of their
// curves (x in steps, FLOPs or wall time), lineages and settings: RUN/report.html for one run;
// for several, --out DIR/report.html, by default a new folder beside them named after them
// (report-A+B+C), never inside one of them. --json prints it all as JSON and writes nothing.

import fs from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { UsageError, guarded, numberIn } from './common.ts';
import { printReport } from './experiment.ts';
import { SPEC_FILE } from '../experiment/index.ts';
import { LOG_FILE } from '../train/index.ts';
import { HTML_REPORT, plainReportJson, plainReportText, readCurves, readPlainRuns, reportData, reportTables, runLabels, runsReport, summariseRun } from '../report/index.ts';

const EXAMPLE = `
Examples:
  ligo report ./ligo-demo
  ligo report ./ligo-demo --html     (then open ./ligo-demo/report.html)
  ligo report ./ligo-demo --target 6.5   (what each method needs to reach that validation loss, e.g. a baseline's final one)
  ligo report ./ligo-demo --json     (results.json's content on stdout; nothing written)
  ligo report runs/small runs/large-ligo runs/large-scratch   (\`ligo train\`/\`ligo grow\` runs: lineage and savings against the scratch run)
  ligo report runs/small runs/large-ligo runs/large-scratch --charge-small --html   (charging the small model; the page goes to runs/report-small+large-ligo+large-scratch/)`;

interface ReportFlags {
  html?: boolean;
  target?: number;
  json?: boolean;
  out?: string;
  chargeSmall?: boolean;
  reference?: string;
}

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description("re-derive an experiment's savings table (results.md, results.json) and plots from its run directory, or report `ligo train`/`ligo grow` runs: their lineage, savings and curves")
    .argument('<dirs...>', 'a run directory written by `ligo experiment` or `ligo demo`, or one or more `ligo train` run directories')
    .option('--html', 'also write report.html: into DIR (an experiment) or RUN (one run); for several runs into --out')
    .option('--out <dir>', 'training runs: the folder for report.html (implies --html; default for several runs: a new folder beside them, named after them)')
    .option('--target <loss>', 'measure the savings to this validation loss instead of the reference\'s final one (printed only; files unchanged)', numberIn(0, 1e6, true))
    .option('--json', 'print the report as JSON (experiments: results.json\'s content) and write nothing')
    .option('--charge-small', "training runs: charge each run its small model's training (up to the step grown) besides its growth; default: shown, not charged, as the experiment's first table and the paper count it")
    .option('--reference <run>', 'training runs: the run to measure savings against (default: the one trained from scratch)')
    .addHelpText('after', EXAMPLE);
  guarded(cmd, async (dirs: string[], o: ReportFlags) => {
    for (const d of dirs) if (!fs.existsSync(d) || !fs.statSync(d).isDirectory()) throw new UsageError(`${d} is not a directory: give an experiment's or a training run's directory`);
    if (o.json && (o.html || o.out)) throw new UsageError('--json prints the report and writes nothing; leave out --html and --out');
    const experiments = dirs.filter((d) => fs.existsSync(join(d, SPEC_FILE)));
    if (experiments.length > 0) {
      if (dirs.length > 1) throw new UsageError(`${experiments[0]} is an experiment: report it on its own (its page compares its methods)`);
      const runOnly = (['out', 'chargeSmall', 'reference'] as const).find((k) => o[k] !== undefined);
      if (runOnly) throw new UsageError(`--${runOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for \`ligo train\` runs; ${dirs[0]} is an experiment, whose report goes into it`);
      reportExperiment(dirs[0]!, o);
      return;
    }
    reportRuns(dirs, o);
  });
}

function reportExperiment(dir: string, o: ReportFlags): void {
  if (o.json) {
    console.log(JSON.stringify(reportData(dir, o.target).json, null, 2));
    return;
  }
  if (o.target !== undefined) {
    if (o.html) throw new UsageError('--target prints tables only; run --html without it');
    console.log(reportTables(summariseRun(readCurves(dir), o.target))); // every seed, at the one target
    return;
  }
  printReport(dir, { html: o.html === true });
  if (o.html) console.log(`open ${pathToFileURL(resolve(dir, HTML_REPORT)).href} in a browser`);
}

/** Where a page of several runs goes by default: a new folder named after them, beside them (in their common parent), or in the working directory when that parent is inside one of them. */
export function defaultReportDir(dirs: string[], labels: string[]): string {
  const abs = dirs.map((d) => resolve(d));
  let parent = dirname(abs[0]!);
  while (!abs.every((d) => d.startsWith(parent + sep))) parent = dirname(parent);
  const inside = abs.some((d) => parent === d || parent.startsWith(d + sep));
  const name = `report-${labels.map((l) => l.replace(/[^A-Za-z0-9._-]+/g, '-')).join('+')}`.slice(0, 120);
  const at = join(inside ? process.cwd() : parent, name);
  const rel = relative(process.cwd(), at);
  return rel.startsWith('..') ? at : rel || basename(at);
}

function reportRuns(dirs: string[], o: ReportFlags): void {
  for (const d of dirs) if (!fs.existsSync(join(d, LOG_FILE))) throw new UsageError(`${d} holds no experiment (no spec.json) and no training run (no ${LOG_FILE}): give the directory \`ligo experiment\` or \`ligo train --out\` wrote`);
  const labels = runLabels(dirs);
  const report = readPlainRuns(dirs, labels, { chargeSmall: o.chargeSmall === true, ...(o.target !== undefined ? { target: o.target } : {}), ...(o.reference !== undefined ? { reference: o.reference } : {}) });
  if (o.json) {
    console.log(JSON.stringify(plainReportJson(report), null, 2));
    return;
  }
  console.log(plainReportText(report));
  if (!o.html && o.out === undefined) return;
  const outDir = o.out ?? (dirs.length === 1 ? dirs[0]! : defaultReportDir(dirs, labels));
  const abs = resolve(outDir);
  const inside = dirs.length > 1 && dirs.find((d) => abs === resolve(d) || abs.startsWith(resolve(d) + sep));
  if (inside) throw new UsageError(`--out ${outDir} is inside the run ${inside}: a page of several runs goes into a folder of its own`);
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) throw new UsageError(`--out ${outDir} is a file; give a folder for report.html`);
  fs.mkdirSync(outDir, { recursive: true });
  const path = join(outDir, HTML_REPORT);
  const command = `ligo report ${dirs.join(' ')}${o.chargeSmall ? ' --charge-small' : ''}${o.reference ? ` --reference ${o.reference}` : ''}${o.target !== undefined ? ` --target ${o.target}` : ''} --html${o.out ? ` --out ${o.out}` : ''}`;
  fs.writeFileSync(path, runsReport(report, command));
  console.log(`\nwrote ${path}\nopen ${pathToFileURL(resolve(path)).href} in a browser`);
}
