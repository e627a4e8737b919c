// Checkpoint directories: `model.safetensors` (the weights), `config.json` (the model config,
// HuggingFace field names) and optionally `tokenizer.json`. Each file is written atomically;
// config.json is written last. Whether the tensors fit the config is checked by the models code.
// Reading also takes HuggingFace's sharded layout (save_pretrained above its max_shard_size, as
// Llama 3.2 3B and larger ship): `model.safetensors.index.json`, whose weight_map names each
// tensor's shard file; every tensor must be in the shard named for it, and each once.

import fs from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../tensor/index.ts';
import { writeFileAtomic } from './atomic.ts';
import { CheckpointError, readSafetensors, writeSafetensors } from './safetensors.ts';

export { CheckpointError };

export const MODEL_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILE = 'tokenizer.json';
export const SHARD_INDEX_FILE = 'model.safetensors.index.json';

export interface CheckpointContents {
  config: object;
  tensors: Map<string, Tensor> | Iterable<[string, Tensor]>;
  /** A JSON value (tokenizer.json contents); omitted means no tokenizer file is written. */
  tokenizer?: unknown;
  metadata?: Record<string, string>;
}

export interface LoadedCheckpoint {
  config: Record<string, unknown>;
  tensors: Map<string, Tensor>;
  tokenizer: unknown | null;
  metadata: Record<string, string>;
}

export function saveCheckpoint(dir: string, contents: CheckpointContents): void {
  if (!isObject(contents.config)) throw new CheckpointError(`${join(dir, CONFIG_FILE)}: config must be a JSON object`);
  makeDirectory(dir);
  writeSafetensors(join(dir, MODEL_FILE), contents.tensors, contents.metadata);
  if (contents.tokenizer !== undefined) writeFileAtomic(join(dir, TOKENIZER_FILE), JSON.stringify(contents.tokenizer));
  writeFileAtomic(join(dir, CONFIG_FILE), `${JSON.stringify(contents.config, null, 2)}\n`);
}

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  checkDirectory(dir);
  const config = readJson(join(dir, CONFIG_FILE));
  if (config === undefined) throw new CheckpointError(`${join(dir, CONFIG_FILE)}: file not found (not a checkpoint directory?)`);
  if (!isObject(config)) throw new CheckpointError(`${join(dir, CONFIG_FILE)}: expected a JSON object`);
  const modelPath = join(dir, MODEL_FILE);
  const sharded = !fs.existsSync(modelPath) && fs.existsSync(join(dir, SHARD_INDEX_FILE));
  if (!sharded && !fs.existsSync(modelPath)) throw new CheckpointError(`${modelPath}: file not found (nor a sharded ${SHARD_INDEX_FILE})`);
  const { tensors, metadata } = sharded ? readShards(dir) : readSafetensors(modelPath);
  return { config, tensors, tokenizer: readJson(join(dir, TOKENIZER_FILE)) ?? null, metadata };
}

/** The tensors of a sharded checkpoint (see the header); metadata from the index's, as strings. */
function readShards(dir: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const indexPath = join(dir, SHARD_INDEX_FILE);
  const index = readJson(indexPath);
  const weightMap = isObject(index) ? index.weight_map : undefined;
  if (!isObject(weightMap) || !Object.values(weightMap).every((f) => typeof f === 'string' && f.length > 0 && !f.includes('/') && !f.includes('\\'))) {
    throw new CheckpointError(`${indexPath}: expected {"weight_map": {"tensor name": "shard file name", ...}} with file names inside the directory`);
  }
  const tensors = new Map<string, Tensor>();
  for (const file of [...new Set(Object.values(weightMap) as string[])].sort()) {
    const path = join(dir, file);
    if (!fs.existsSync(path)) throw new CheckpointError(`${path}: file not found (named by ${SHARD_INDEX_FILE})`);
    for (const [name, tensor] of readSafetensors(path).tensors) {
      if (weightMap[name] !== file) throw new CheckpointError(`${path}: holds ${name}, which ${SHARD_INDEX_FILE} ${weightMap[name] === undefined ? 'does not list' : `places in ${String(weightMap[name])}`}`);
      tensors.set(name, tensor);
    }
  }
  const missing = Object.keys(weightMap).filter((name) => !tensors.has(name));
  if (missing.length > 0) throw new CheckpointError(`${indexPath}: ${missing.length} listed tensor(s) not in their shard (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''})`);
  const meta = isObject(index) && isObject(index.metadata) ? index.metadata : {};
  return { tensors, metadata: Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, String(v)])) };
}

function makeDirectory(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new CheckpointError(`${dir}: cannot create checkpoint directory (${(e as Error).message})`);
  }
}

function checkDirectory(dir: string): void {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!stat) throw new CheckpointError(`${dir}: checkpoint directory not found`);
  if (!stat.isDirectory()) throw new CheckpointError(`${dir}: not a directory (a checkpoint is a directory holding ${MODEL_FILE} and ${CONFIG_FILE})`);
}

/** The parsed JSON file, or undefined when it does not exist. */
function readJson(path: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckpointError(`${path}: cannot read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
