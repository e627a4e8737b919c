// `ligo demo [--out DIR]`: the whole story in one command. Runs experiments/demo.json: builds the
// default corpus's tokenizer, pretrains a small BERT, learns a LiGO operator and grows it, trains
// the large model, and trains scratch and StackBERT beside it; prints the savings table and where
// the plots are. Everything goes under DIR (default ./ligo-demo), named in the last lines; a
// second `ligo demo` continues or reuses what is done.

import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { guarded } from './common.ts';
import { runAndReport } from './experiment.ts';

export const DEMO_SPEC = fileURLToPath(new URL('../../experiments/demo.json', import.meta.url));

const EXAMPLE = `
Examples:
  ligo demo
  ligo demo --out /tmp/ligo-demo`;

export function registerDemo(program: Command): void {
  const cmd = program
    .command('demo')
    .description('pretrain a small BERT, grow it with LiGO and StackBERT, train the large model and scratch, and report the savings (about 10 minutes on 2 cores)')
    .option('--out <dir>', 'output directory (resumable)', './ligo-demo')
    .addHelpText('after', EXAMPLE);
  guarded(cmd, async (o: { out: string }) => {
    const { readSpec } = await import('../experiment/index.ts');
    const spec = readSpec(DEMO_SPEC);
    process.stderr.write(`ligo demo: ${DEMO_SPEC} into ${o.out}; finished steps are kept, so it can be stopped and run again\n`);
    const report = await runAndReport(spec, o.out);
    const png = report.files.filter((f) => f.endsWith('.png'));
    console.log(`\nplots: ${png.map((f) => `${o.out}/${f}`).join(', ')} (and .svg)`);
    console.log(`everything is in ${o.out}: results.md, results.json, plots/, and each run's logs and checkpoints`);
  });
}
