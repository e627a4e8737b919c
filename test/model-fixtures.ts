// The PyTorch model fixtures of scripts/make_model_fixtures.py (test/fixtures/models/<name>:
// weights, config, inputs, reference logits and loss), loaded as ligo objects. Shared by the
// forward tests (models.test.ts) and the training-state tests (train-reference.test.ts).

import fs from 'node:fs';
import { join } from 'node:path';
import * as T from '../src/tensor/index.ts';
import type { Tensor } from '../src/tensor/index.ts';
import { readSafetensors } from '../src/io/safetensors.ts';
import { configFromJSON, modelFor, type AnyModel, type Batch, type ModelConfig } from '../src/models/index.ts';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

export interface Fixture {
  config: ModelConfig;
  model: AnyModel;
  flat: Map<string, Tensor>;
  batch: Batch;
  logits: { shape: number[]; logits: number[]; loss: number };
}

export const readJson = (path: string) => JSON.parse(fs.readFileSync(path, 'utf8'));
const ints = (rows: number[][]) => T.tensor(rows.flat(), [rows.length, rows[0]!.length], 'int32');

export function batchFrom(inputs: Record<string, unknown>): Batch {
  if ('pixel_values' in inputs) {
    const px = inputs.pixel_values as number[][][][];
    const shape = [px.length, px[0]!.length, px[0]![0]!.length, px[0]![0]![0]!.length];
    return { pixelValues: T.tensor(px.flat(3), shape), labels: T.tensor(inputs.labels as number[], [px.length], 'int32') };
  }
  const opt = (k: string) => (k in inputs ? ints(inputs[k] as number[][]) : null);
  const labels = inputs.labels as number[] | number[][] | undefined;
  const seqLabels = Array.isArray(labels) && !Array.isArray(labels[0]) ? T.tensor(labels as number[], [labels.length], 'int32') : null; // sequence classification: [B]
  return { inputIds: ints(inputs.input_ids as number[][]), attentionMask: opt('attention_mask'), tokenTypeIds: opt('token_type_ids'), labels: seqLabels ?? opt('labels') };
}

export function loadFixture(name: string): Fixture {
  const dir = join(FIXTURES, 'models', name);
  const config = configFromJSON(readJson(join(dir, 'config.json')));
  return { config, model: modelFor(config), flat: readSafetensors(join(dir, 'model.safetensors')).tensors, batch: batchFrom(readJson(join(dir, 'inputs.json'))), logits: readJson(join(dir, 'logits.json')) };
}
