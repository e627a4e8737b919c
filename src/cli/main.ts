// The `ligo` command line. Parses arguments and calls the library; holds no logic of its own.

import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerTrain } from './train.ts';
import { registerGrow } from './grow.ts';
import { registerExperiment } from './experiment.ts';
import { registerReport } from './report.ts';
import { registerDemo } from './demo.ts';
import { registerInspect } from './inspect.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; description: string };

const program = new Command()
  .name('ligo')
  .description(pkg.description)
  .version(pkg.version, '-v, --version', 'print the version')
  .showHelpAfterError('(run `ligo --help` for usage)');

program
  .command('backend')
  .description('print which tensor backend is active: native (the C++ addon) or reference (the plain TypeScript fallback)')
  .action(async () => {
    const { getBackend } = await import('../tensor/index.ts');
    console.log(getBackend().name);
  });

registerTrain(program);
registerGrow(program);
registerExperiment(program);
registerReport(program);
registerDemo(program);
registerInspect(program);

await program.parseAsync(process.argv);
