// A checkpoint at a glance (`ligo inspect`): the config's sizes, the parameter count (tied weights
// once, as saved), training FLOPs per token in both conventions (src/flops.ts) at a sequence
// length, the tokenizer, and how the model was grown when grow.json says so. Takes a checkpoint
// directory or a run directory (its newest checkpoint).

import { join } from 'node:path';
import { loadCheckpoint } from '../io/checkpoint.ts';
import { configFromJSON, modelFor, textPositions, type ModelConfig } from '../models/index.ts';
import { dims, GROW_FILE, type GrowRecord } from '../grow/index.ts';
import { tokenizerFromJSON } from '../tokenize/index.ts';
import { resolveCheckpointDir } from '../train/index.ts';
import { tokensPerExample, trainFlopsPerToken } from '../flops.ts';
import { ExperimentError, readJsonIfExists } from '../experiment/index.ts';

export interface CheckpointSummary {
  dir: string;
  config: ModelConfig;
  parameters: number;
  tensors: number;
  seqLen: number;
  flopsPerToken: { electra: number; sixN: number };
  tokenizer: { kind: string; vocabSize: number } | null;
  grown: GrowRecord | null;
}

/** seqLen: text sequence length for the FLOPs (default: 128, or the model's positions if fewer). */
export function inspectCheckpoint(path: string, seqLen?: number): CheckpointSummary {
  const dir = resolveCheckpointDir(path);
  const ckpt = loadCheckpoint(dir);
  const config = configFromJSON(ckpt.config);
  const positions = textPositions(config) ?? Infinity;
  if (seqLen !== undefined && seqLen > positions) throw new ExperimentError(`sequence length ${seqLen} is longer than the model's ${positions} positions`);
  seqLen ??= Math.min(128, positions);
  const model = modelFor(config);
  const flat = model.flatten(model.paramsFromFlat(config, ckpt.tensors).params);
  const tokenizer = ckpt.tokenizer === null ? null : tokenizerFromJSON(ckpt.tokenizer, join(dir, 'tokenizer.json'));
  return {
    dir,
    config,
    parameters: flat.reduce((n, [, t]) => n + t.size, 0),
    tensors: flat.length,
    seqLen: tokensPerExample(config, seqLen),
    flopsPerToken: trainFlopsPerToken(config, seqLen),
    tokenizer: tokenizer && { kind: tokenizer.kind, vocabSize: tokenizer.vocabSize },
    grown: readJsonIfExists<GrowRecord>(join(dir, GROW_FILE)),
  };
}

function modelLine(c: ModelConfig): string {
  const d = dims(c);
  const kv = c.model_type === 'llama' && c.num_key_value_heads !== c.num_attention_heads ? ` (${c.num_key_value_heads} key/value heads)` : '';
  const sizes = `${d.layers} layers, hidden ${d.hidden}, ${d.heads} heads of ${d.headDim}${kv}, FFN ${d.ffn}`;
  const arch = `${c.model_type} (${c.architectures[0] ?? 'no architecture'})`;
  if ('image_size' in c) return `${arch}: ${sizes}, ${c.image_size}x${c.image_size}x${c.num_channels} images in ${c.patch_size}x${c.patch_size} patches, ${c.num_labels} labels`;
  const positions = 'n_positions' in c ? c.n_positions : c.max_position_embeddings;
  return `${arch}: ${sizes}, vocabulary ${c.vocab_size}, ${positions} positions`;
}

/** The summary as aligned "label  value" lines. */
export function summaryLines(s: CheckpointSummary): string[] {
  const rows: [string, string][] = [
    ['checkpoint', s.dir],
    ['model', modelLine(s.config)],
    ['parameters', `${s.parameters.toLocaleString('en')} in ${s.tensors} tensors`],
    ['FLOPs/token', `training, sequence of ${s.seqLen}: ${s.flopsPerToken.electra.toExponential(3)} (ELECTRA convention), ${s.flopsPerToken.sixN.toExponential(3)} (6N convention)`],
    ['tokenizer', s.tokenizer ? `${s.tokenizer.kind}, ${s.tokenizer.vocabSize} tokens` : 'none'],
  ];
  if (s.grown) rows.push(['grown', `by ${s.grown.method} from ${s.grown.from} (seed ${s.grown.seed})${s.grown.cost ? `, operator ${s.grown.cost.steps} steps` : ''}`]);
  return rows.map(([k, v]) => `${k.padEnd(12)}${v}`);
}
