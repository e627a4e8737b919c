// `ligo inspect CHECKPOINT`: a checkpoint's config summary, parameter count, training FLOPs per
// token in both conventions and its lineage: grown from what, by which method, trained on what
// (src/report/inspect.ts). CHECKPOINT is a checkpoint directory or a run directory (its newest
// checkpoint). --json prints the same as one JSON object.

import { Command } from 'commander';
import { guarded, intAtLeast } from './common.ts';
import { inspectCheckpoint, summaryLines } from '../report/index.ts';

const EXAMPLE = `
Examples:
  ligo inspect ./ligo-demo/legs/ligo/grown
  ligo inspect runs/bert-mini --seq-len 512
  ligo inspect runs/large-ligo --json`;

export function registerInspect(program: Command): void {
  const cmd = program
    .command('inspect')
    .description('summarise a checkpoint: config, parameter count, training FLOPs per token (ELECTRA and 6N conventions), lineage')
    .argument('<checkpoint>', 'checkpoint directory (model.safetensors + config.json) or run directory')
    .option('--seq-len <n>', "sequence length for the FLOPs of text models (default: the run's or growth's, else 128, or the model's positions if fewer)", intAtLeast(1))
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', EXAMPLE);
  guarded(cmd, async (dir: string, o: { seqLen?: number; json?: boolean }) => {
    const summary = inspectCheckpoint(dir, o.seqLen);
    console.log(o.json ? JSON.stringify(summary, null, 2) : summaryLines(summary).join('\n'));
  });
}
