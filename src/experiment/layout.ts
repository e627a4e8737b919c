// Where an experiment keeps its files, and the records it writes besides train()'s own:
//
//   DIR/spec.json               the normalised spec and its hash (a run directory holds one spec)
//   DIR/tokenizer.json          the experiment's tokenizer;  DIR/token-cache/: token shards
//   DIR/small/train/            the small model's pretraining (a train() run directory)
//   DIR/legs/LABEL/grown/       the grown checkpoint of a growth method, with grow.json (src/grow/record.ts):
//                               its provenance and cost, written last, so it marks the growth done
//   DIR/legs/LABEL/growth.json  in run directories made before grow.json held the cost: that cost
//                               (read, never written: growth.ts legGrowth)
//   DIR/legs/LABEL/train/       the large model's training (a train() run directory)
//   DIR/legs/LABEL/downstream/  the spec's downstream fine-tuning of the leg's final model (train/, done.json)
//   DIR/{small,legs/LABEL}/done.json   the leg's final numbers; present once the leg is finished
//   DIR/unigram.json            the no-context reference: unigram cross-entropy of the validation targets (unigram.ts)
//   DIR/results.json, DIR/results.md, DIR/plots/   the report (src/report)
//
// A spec with several seeds keeps each seed's small/, legs/ and unigram.json under
// DIR/seeds/SEED/ (its seed root); spec.json, the tokenizer, the token cache and the report stay
// in DIR. With one seed the seed root is DIR itself, so one-seed run directories look as before.

import fs from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/index.ts';
import type { Cost } from '../flops.ts';
import { specSeeds, type ExperimentSpec } from './spec.ts';

export const SPEC_FILE = 'spec.json';
export const DONE_FILE = 'done.json';
export const GROWTH_FILE = 'growth.json';

export interface SpecRecord {
  hash: string;
  spec: ExperimentSpec;
}


/** done.json: a finished leg's final numbers. */
export interface DoneRecord extends Cost {
  step: number;
  valLoss: number | null;
  /** Classification tasks: validation accuracy at the end. */
  valAccuracy?: number | null;
}

/** One seed's part of a run directory: its seed and the directory holding its small/, legs/ and unigram.json. */
export interface SeedRoot {
  seed: number;
  root: string;
}

/** Each seed's root, in the spec's order (DIR itself for a one-seed spec). */
export function seedRoots(spec: ExperimentSpec, dir: string): SeedRoot[] {
  const seeds = specSeeds(spec);
  return seeds.map((seed) => ({ seed, root: seeds.length === 1 ? dir : join(dir, 'seeds', String(seed)) }));
}

export const smallDir = (dir: string) => join(dir, 'small');
export const legDir = (dir: string, label: string) => join(dir, 'legs', label);
export const trainDir = (legPath: string) => join(legPath, 'train');
export const grownDir = (legPath: string) => join(legPath, 'grown');
export const downstreamDir = (legPath: string) => join(legPath, 'downstream');

export function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** The parsed JSON file, or null when it does not exist. */
export function readJsonIfExists<T>(path: string): T | null {
  if (!fs.existsSync(path)) return null;
  return JSON.parse(fs.readFileSync(path, 'utf8')) as T;
}
