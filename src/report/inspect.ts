// A checkpoint at a glance (`ligo inspect`): the config's sizes, the parameter count (tied weights
// once, as saved), training FLOPs per token in both conventions (src/flops.ts) at a sequence
// length (by default the one the model was trained or grown at: run.json's or grow.json's, else
// 128 or the model's positions if fewer), the tokenizer, and its lineage (lineage.ts): grown from
// what, by which method with which options, trained on what. Takes a checkpoint directory or a
// run directory (its newest checkpoint).

import { join } from 'node:path';
import { loadCheckpoint } from '../io/index.ts';
import { configFromJSON, dims, modelFor, textPositions, type ModelConfig } from '../models/index.ts';
import { readGrowRecord, type GrowRecord } from '../grow/index.ts';
import { tokenizerFromJSON } from '../tokenize/index.ts';
import { resolveCheckpointDir } from '../train/index.ts';
import { tokensPerExample, trainFlopsPerToken, type TrainFlops } from '../flops.ts';
import { ExperimentError } from '../experiment/index.ts';
import { lineage, lineageLines, runFlags, type LineageNode } from './lineage.ts';

export interface CheckpointSummary {
  dir: string;
  config: ModelConfig;
  parameters: number;
  tensors: number;
  seqLen: number;
  /** Where seqLen comes from: 'given', 'run.json', 'grow.json' or 'default'. */
  seqLenFrom: string;
  flopsPerToken: TrainFlops;
  tokenizer: { kind: string; vocabSize: number } | null;
  grown: GrowRecord | null;
  /** The chain back to where the model started, this checkpoint's run (or itself) first. */
  lineage: LineageNode[];
}

/** seqLen: text sequence length for the FLOPs (default: the one it was trained or grown at, else 128, or the model's positions if fewer). */
export function inspectCheckpoint(path: string, seqLen?: number): CheckpointSummary {
  const dir = resolveCheckpointDir(path);
  const ckpt = loadCheckpoint(dir);
  const config = configFromJSON(ckpt.config);
  const positions = textPositions(config) ?? Infinity;
  if (seqLen !== undefined && seqLen > positions) throw new ExperimentError(`sequence length ${seqLen} is longer than the model's ${positions} positions`);
  const grown = readGrowRecord(dir);
  const trainedAt = runFlags(path)?.seqLen;
  const [length, from] = seqLen !== undefined ? [seqLen, 'given'] : trainedAt ? [trainedAt, 'run.json'] : grown?.seqLen ? [grown.seqLen, 'grow.json'] : [Math.min(128, positions), 'default'];
  seqLen = Math.min(length, positions);
  const model = modelFor(config);
  const flat = model.flatten(model.paramsFromFlat(config, ckpt.tensors).params);
  const tokenizer = ckpt.tokenizer === null ? null : tokenizerFromJSON(ckpt.tokenizer, join(dir, 'tokenizer.json'));
  return {
    dir,
    config,
    parameters: flat.reduce((n, [, t]) => n + t.size, 0),
    tensors: flat.length,
    seqLen: tokensPerExample(config, seqLen),
    seqLenFrom: from,
    flopsPerToken: trainFlopsPerToken(config, seqLen),
    tokenizer: tokenizer && { kind: tokenizer.kind, vocabSize: tokenizer.vocabSize },
    grown,
    lineage: lineage(path),
  };
}

function modelLine(c: ModelConfig): string {
  const d = dims(c);
  const kv = d.kvHeads !== d.heads ? ` (${d.kvHeads} key/value heads)` : '';
  const sizes = `${d.layers} layers, hidden ${d.hidden}, ${d.heads} heads of ${d.headDim}${kv}, FFN ${d.ffn}`;
  const arch = `${c.model_type} (${c.architectures[0] ?? 'no architecture'})`;
  if ('image_size' in c) return `${arch}: ${sizes}, ${c.image_size}x${c.image_size}x${c.num_channels} images in ${c.patch_size}x${c.patch_size} patches, ${c.num_labels} labels`;
  return `${arch}: ${sizes}, vocabulary ${c.vocab_size}, ${textPositions(c)} positions`;
}

const SEQ_FROM: Record<string, string> = { 'run.json': ' (as trained, run.json)', 'grow.json': ' (as grown, grow.json)' };

/** The summary as aligned "label  value" lines. */
export function summaryLines(s: CheckpointSummary): string[] {
  const rows: [string, string][] = [
    ['checkpoint', s.dir],
    ['model', modelLine(s.config)],
    ['parameters', `${s.parameters.toLocaleString('en')} in ${s.tensors} tensors`],
    ['FLOPs/token', `training, sequence of ${s.seqLen}${SEQ_FROM[s.seqLenFrom] ?? ''}: ${s.flopsPerToken.flopsElectra.toExponential(3)} (ELECTRA convention), ${s.flopsPerToken.flopsSixN.toExponential(3)} (6N convention)`],
    ['tokenizer', s.tokenizer ? `${s.tokenizer.kind}, ${s.tokenizer.vocabSize} tokens` : 'none'],
  ];
  const lines = lineageLines(s.lineage);
  rows.push(['lineage', lines[0]!], ...lines.slice(1).map((l): [string, string] => ['', `<- ${l}`]));
  return rows.map(([k, v]) => `${k.padEnd(12)}${v}`);
}
