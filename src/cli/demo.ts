// `ligo demo [--out DIR]`: the paper's main setting in one command. Runs experiments/demo.json:
// builds the default corpus's tokenizer, pretrains a small BERT (2L-128H) and grows it in width
// and depth at the paper's ratios (depth x2, width x1.5: 4L-192H) with LiGO (its operator costs
// under 2% of the large model's training) and with bert2BERT AKI, the strongest fixed width+depth
// operator in RESULTS.md; trains each grown model and scratch; prints the savings table (with the
// unigram, no-context loss every model should end below, and the operator's cost as a share of
// scratch's budget) and where the plots are. Everything goes under DIR (default ./ligo-demo),
// named in the last lines; a second `ligo demo` continues or reuses what is done. The demo is one
// seed on a short budget: its last lines set its savings beside RESULTS.md's headline BERT
// width+depth row (the same growth, the small model trained as long as the large one at lr 1e-3,
// over paired seeds with a longer budget, with its paired verdicts; read from docs/results when
// present).

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { guarded } from './common.ts';
import { runAndReport } from './experiment.ts';
import { readSpec } from '../experiment/index.ts';
import { againstSeeded } from '../report/index.ts';

export const DEMO_SPEC = fileURLToPath(new URL('../../experiments/demo.json', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../RESULTS.md', import.meta.url));
const SEEDED = fileURLToPath(new URL('../../docs/results/recipe-bert-width-depth-small-lr1e-3/results.json', import.meta.url));

const EXAMPLE = `
Examples:
  ligo demo
  ligo demo --out /tmp/ligo-demo`;

export function registerDemo(program: Command): void {
  const cmd = program
    .command('demo')
    .description('pretrain a small BERT, grow it in width and depth with LiGO and bert2BERT, train the large models and scratch, and report the savings (about 4 minutes on 2 cores)')
    .option('--out <dir>', 'output directory (resumable)', './ligo-demo')
    .addHelpText('after', EXAMPLE);
  guarded(cmd, async (o: { out: string }) => {
    const spec = readSpec(DEMO_SPEC);
    process.stderr.write(`ligo demo: ${DEMO_SPEC} into ${o.out}; finished steps are kept, so it can be stopped and run again\n`);
    const report = await runAndReport(spec, o.out, `ligo demo --out ${o.out}`);
    if (!report) return; // stopped by Ctrl-C
    const png = report.files.filter((f) => f.endsWith('.png'));
    console.log(`\nplots: ${png.map((f) => `${o.out}/${f}`).join(', ')} (and .svg)`);
    console.log(`everything is in ${o.out}: results.md, results.json, plots/, and each run's logs and checkpoints`);
    const seeded = fs.existsSync(SEEDED) ? JSON.parse(fs.readFileSync(SEEDED, 'utf8')) : null;
    const over = seeded ? `${seeded.seeds.length} ${seeded.pairedSeeds ? 'paired ' : ''}seeds` : 'several seeds';
    console.log(`\nThis demo is one seed (${spec.seed}) on a short budget, so a method's lead here may be seed noise. The same width+depth growth over ${over} with a longer budget (the small model trained as long as the large one) is the first BERT width+depth row of ${RESULTS} ("Summary").`);
    if (seeded) {
      for (const line of againstSeeded(report.summary, seeded)) console.log(line);
    }
  });
}
