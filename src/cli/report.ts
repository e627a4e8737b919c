// `ligo report DIR [--html]`: re-derives an experiment's savings table and plots from its run
// directory's logs (src/report) and prints the table; useful after changing the report code or
// while a run is still going (methods without results yet are left out). --html also writes
// DIR/report.html, one self-contained page (the table, interactive charts, the configs) to open
// in a browser.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { guarded } from './common.ts';
import { printReport } from './experiment.ts';

const EXAMPLE = `
Example:
  ligo report ./ligo-demo
  ligo report ./ligo-demo --html     (then open ./ligo-demo/report.html)`;

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description('re-derive an experiment\'s savings table (results.md, results.json) and plots from its run directory')
    .argument('<dir>', 'run directory written by `ligo experiment` or `ligo demo`')
    .option('--html', 'also write DIR/report.html: one self-contained page with the table, interactive charts and the configs')
    .addHelpText('after', EXAMPLE);
  guarded(cmd, async (dir: string, o: { html?: boolean }) => {
    const { HTML_REPORT } = await import('../report/index.ts');
    await printReport(dir, { html: o.html === true });
    if (o.html) console.log(`open ${pathToFileURL(resolve(dir, HTML_REPORT)).href} in a browser`);
  });
}
