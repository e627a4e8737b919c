// `ligo report DIR`: re-derives an experiment's savings table and plots from its run directory's
// logs (src/report) and prints the table; useful after changing the report code or while a run
// is still going (methods without results yet are left out).

import { Command } from 'commander';
import { guarded, printReport } from './experiment.ts';

const EXAMPLE = `
Example:
  ligo report ./ligo-demo`;

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description('re-derive an experiment\'s savings table (results.md, results.json) and plots from its run directory')
    .argument('<dir>', 'run directory written by `ligo experiment` or `ligo demo`')
    .addHelpText('after', EXAMPLE);
  guarded(cmd, async (dir: string) => {
    await printReport(dir);
  });
}
