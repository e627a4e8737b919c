// `ligo report DIR [--html]`: re-derives an experiment's savings table and plots from its run
// directory's logs (src/report) and prints the table; useful after changing the report code or
// while a run is still going (methods without results yet are left out). --html also writes
// DIR/report.html, one self-contained page (the table, interactive charts, the configs) to open
// in a browser. --target LOSS prints the tables measured to that validation loss instead of the
// reference's final one (e.g. a baseline's final loss: what it costs each method to get there),
// leaving the files as they are.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { UsageError, guarded, numberIn } from './common.ts';
import { printReport } from './experiment.ts';

const EXAMPLE = `
Example:
  ligo report ./ligo-demo
  ligo report ./ligo-demo --html     (then open ./ligo-demo/report.html)
  ligo report ./ligo-demo --target 6.5   (what each method needs to reach that validation loss, e.g. a baseline's final one)
  ligo report runs/bert-mini runs/bert-more --html   (\`ligo train\` runs: their curves on one page, runs/bert-mini/report.html)`;

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description('re-derive an experiment\'s savings table (results.md, results.json) and plots from its run directory')
    .argument('<dir>', 'run directory written by `ligo experiment` or `ligo demo`')
    .option('--html', 'also write DIR/report.html: one self-contained page with the table, interactive charts and the configs')
    .option('--target <loss>', 'print the tables measured to this validation loss instead (files unchanged)', numberIn(0, 1e6, true))
    .addHelpText('after', EXAMPLE);
  guarded(cmd, async (dir: string, o: { html?: boolean; target?: number }) => {
    const { HTML_REPORT, computeSavings, readCurves, savingsTables } = await import('../report/index.ts');
    if (o.target !== undefined) {
      if (o.html) throw new UsageError('--target prints tables only; run --html without it');
      const e = readCurves(dir);
      console.log(savingsTables(computeSavings(e.curves, e.reference, e.small, o.target)));
      return;
    }
    await printReport(dir, { html: o.html === true });
    if (o.html) console.log(`open ${pathToFileURL(resolve(dir, HTML_REPORT)).href} in a browser`);
  });
}
