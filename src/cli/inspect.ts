// `ligo inspect CHECKPOINT`: a checkpoint's config summary, parameter count and training FLOPs
// per token in both conventions (src/report/inspect.ts). CHECKPOINT is a checkpoint directory
// or a run directory (its newest checkpoint).

import { Command } from 'commander';
import { guarded, intAtLeast } from './common.ts';

const EXAMPLE = `
Examples:
  ligo inspect ./ligo-demo/legs/ligo/grown
  ligo inspect runs/bert-mini --seq-len 512`;

export function registerInspect(program: Command): void {
  const cmd = program
    .command('inspect')
    .description('summarise a checkpoint: config, parameter count, training FLOPs per token (ELECTRA and 6N conventions)')
    .argument('<checkpoint>', 'checkpoint directory (model.safetensors + config.json) or run directory')
    .option('--seq-len <n>', 'sequence length for the FLOPs of text models (default: 128, or the model\'s positions if fewer)', intAtLeast(1))
    .addHelpText('after', EXAMPLE);
  guarded(cmd, async (dir: string, o: { seqLen?: number }) => {
    const { inspectCheckpoint, summaryLines } = await import('../report/index.ts');
    console.log(summaryLines(inspectCheckpoint(dir, o.seqLen)).join('\n'));
  });
}
