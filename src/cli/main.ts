// The `ligo` command line. Parses arguments and calls the library; holds no logic of its own.
// Conventions of every command: results on stdout, progress and diagnostics on stderr; exit code
// 0 done, 2 bad usage or input (an unknown command too), 1 unexpected (src/cli/common.ts).
// Commands import the library statically: `ligo experiment` and `ligo methods` load all of it at
// start-up anyway, so lazy imports saved nothing (`ligo --help`: about 2 s of CPU either way).

import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerTrain } from './train.ts';
import { registerGrow } from './grow.ts';
import { registerExperiment } from './experiment.ts';
import { registerReport } from './report.ts';
import { registerDemo } from './demo.ts';
import { registerInspect } from './inspect.ts';
import { registerCatalog } from './catalog.ts';
import { oneLineError } from './common.ts';
import { endOnBrokenPipe, followSupervisor } from './interrupt.ts';
import { getMethod } from '../grow/index.ts';
import { getBackend } from '../tensor/index.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; description: string };

/** For `ligo grow --method NAME --help`: that method, whose options the help then lists. */
function growHelpMethod(args: string[]) {
  const i = args.indexOf('--method');
  if (args[0] !== 'grow' || i < 0 || !args.some((a) => a === '--help' || a === '-h')) return null;
  try {
    return getMethod(args[i + 1] ?? '');
  } catch {
    return null; // the help without a method part; running the command names the mistake
  }
}

const program = new Command()
  .name('ligo')
  .description(pkg.description)
  .version(pkg.version, '-v, --version', 'print the version')
  .showHelpAfterError(false)
  // Usage errors of the program itself (no command, an unknown one): one line, exit code 2, as for every command.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .configureOutput({ outputError: (str, write) => write(`${oneLineError(str, 'ligo')}; run \`ligo --help\` for usage\n`) });

program
  .command('backend')
  .description('print which tensor backend is active: native (the C++ addon) or reference (the plain TypeScript fallback)')
  .action(() => console.log(getBackend().name));

registerTrain(program);
registerGrow(program, growHelpMethod(process.argv.slice(2)));
registerExperiment(program);
registerReport(program);
registerDemo(program);
registerInspect(program);
registerCatalog(program);

endOnBrokenPipe();
followSupervisor();
await program.parseAsync(process.argv);
