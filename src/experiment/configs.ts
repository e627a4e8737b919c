// The small and large model configs of an experiment: a preset or an inline HF config object,
// with vocab_size set to the tokenizer's (GPT-2 presets also take its end-of-text id as bos/eos,
// as `ligo train` does), checked for the text data (positions vs seqLen) and for growability
// (small -> large). Errors are SpecErrors naming the spec field.

import { configFromJSON, preset, validateConfig, type BertConfig, type GPT2Config, type ModelConfig } from '../models/index.ts';
import { checkGrowable } from '../grow/index.ts';
import { checkDataFits } from '../train/index.ts';
import { SpecError, fail, type Obj } from './fields.ts';
import type { ExperimentSpec } from './spec.ts';

export interface ExperimentModels {
  small: ModelConfig;
  large: ModelConfig;
}

/** The tokenizer facts a config takes: its vocabulary size and end-of-text id. */
export interface VocabInfo {
  size: number;
  eos?: number;
}

/** Runs `check`, turning its error into a SpecError on `path`. */
export function at<T>(path: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof SpecError) throw e;
    throw new SpecError(`${path}: ${(e as Error).message}`);
  }
}

const isText = (c: ModelConfig): c is BertConfig | GPT2Config => c.model_type !== 'vit' && c.model_type !== 'deit';

function resolveConfig(raw: string | Obj, path: string, vocab: VocabInfo): ModelConfig {
  const base = at(path, () => (typeof raw === 'string' ? preset(raw) : configFromJSON(raw)));
  if (!isText(base)) fail(path, `${base.model_type} models take images; experiments train on text corpora (use bert, roberta or gpt2)`);
  let config: BertConfig | GPT2Config = { ...base, vocab_size: vocab.size };
  if (config.model_type === 'gpt2' && typeof raw === 'string') {
    const eos = vocab.eos ?? vocab.size - 1;
    config = { ...config, bos_token_id: eos, eos_token_id: eos };
  }
  at(path, () => validateConfig(config));
  return config;
}

export function resolveModels(spec: ExperimentSpec, vocab: VocabInfo): ExperimentModels {
  const small = resolveConfig(spec.small.config, 'spec.small.config', vocab);
  const large = resolveConfig(spec.large.config, 'spec.large.config', vocab);
  at('spec.large.config', () => checkGrowable(small, large));
  at('spec.seqLen', () => {
    checkDataFits(small, spec.data, spec.seqLen);
    checkDataFits(large, spec.data, spec.seqLen);
  });
  return { small, large };
}
