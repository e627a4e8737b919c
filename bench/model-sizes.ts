// The model-step benchmark's sizes (bench/model_step.ts, bench/model-config.ts): the model each
// SIZE runs, its batch and its loss, so ligo's step and PyTorch's (bench/torch_model_step.py) run
// the same config. The seeded sizes are the large models of the seeded rows (RESULTS.md), read from
// their experiment specs (config, vocabulary, batch, sequence length), so the benchmark trains what
// the study trains. `modelStep` builds a size's model, one random batch and its training step, for
// the benchmarks that time it (bench/model_step.ts, bench/shape_profile.ts).
import { parseSpec } from '../src/experiment/spec.ts';
import { resolveModels } from '../src/experiment/configs.ts';
import { modelFor, preset, type ModelConfig } from '../src/models/index.ts';
import * as T from '../src/tensor/index.ts';
import { Rng, tidy, valueAndGrad } from '../src/tensor/index.ts';
import * as fs from 'node:fs';

/** 'causal': next-token loss at every position; 'mlm': BERT's loss at 15% of the positions. */
export type StepLoss = 'causal' | 'mlm';
export interface ModelSize {
  config: ModelConfig;
  B: number;
  Tn: number;
  loss: StepLoss;
}

const STUDY_VOCAB = 2048;

/** The large model of experiments/seeded-ROW.json as the row trains it (its tokenizer's vocabulary, batch and window). */
function seededLarge(row: string, loss: StepLoss): ModelSize {
  const spec = parseSpec(JSON.parse(fs.readFileSync(new URL(`../experiments/seeded-${row}.json`, import.meta.url), 'utf8')));
  if (!spec.tokenizer || !('vocabSize' in spec.tokenizer)) throw new Error(`experiments/seeded-${row}.json: expected a tokenizer vocabSize`);
  const { large } = resolveModels(spec, { size: spec.tokenizer.vocabSize });
  return { config: large, B: spec.large.training.batchSize, Tn: spec.seqLen, loss };
}

const SIZES: Record<string, () => ModelSize> = {
  study: () => ({ config: preset('llama-4L-192H', { vocab_size: STUDY_VOCAB, bos_token_id: STUDY_VOCAB - 1, eos_token_id: STUDY_VOCAB - 1 }), B: 32, Tn: 64, loss: 'causal' }),
  smollm: () => ({ config: preset('smollm-135m', { vocab_size: 8192, bos_token_id: 8191, eos_token_id: 8191 }), B: 8, Tn: 128, loss: 'causal' }),
  'bert-seeded': () => seededLarge('bert-width-depth', 'mlm'),
  'gpt2-seeded': () => seededLarge('gpt2-width-depth', 'causal'),
};

export const sizeNames = Object.keys(SIZES);

/** SIZE's config, batch and loss; throws naming the sizes. */
export function modelSize(size: string): ModelSize {
  const make = SIZES[size];
  if (!make) throw new Error(`SIZE must be one of ${sizeNames.join(', ')}, got ${size}`);
  return make();
}

/** SIZE's model with its initial weights and one random batch, and `step`: forward + backward of its loss on that batch (no optimizer), returning the loss. */
export function modelStep(size: string): ModelSize & { parameters: number; step: () => number } {
  const ms = modelSize(size);
  const { config, B, Tn, loss } = ms;
  const vocab = (config as ModelConfig & { vocab_size: number }).vocab_size;
  const model = modelFor(config);
  const flat = model.flatten(model.initParams(config, 0));
  const params = model.paramsFromFlat(config, new Map(flat)).params;
  const rng = new Rng(1);
  const idList = Array.from({ length: B * Tn }, () => rng.int(vocab));
  // Masked LM: every position has a 15% chance of carrying a label (-100 elsewhere, no loss taken).
  const labelList = loss === 'mlm' ? idList.map((id) => (rng.uniform() < 0.15 ? id : -100)) : idList;
  const batch = { inputIds: T.tensor(idList, [B, Tn], 'int32'), labels: T.tensor(labelList, [B, Tn], 'int32') };
  const step = () => tidy(() => valueAndGrad(() => model.loss(params, config, batch), flat.map(([, t]) => t)).loss.item());
  return { ...ms, parameters: flat.reduce((n, [, t]) => n + t.size, 0), step };
}
