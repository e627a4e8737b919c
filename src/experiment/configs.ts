// The small and large model configs of an experiment: a preset or an inline HF config object,
// with vocab_size set to the tokenizer's (GPT-2 presets also take its end-of-text id as bos/eos,
// as `ligo train` does; image configs are taken as given), checked against the data (modality,
// positions vs seqLen) and for growability
// (small -> large). Errors are SpecErrors naming the spec field.

import { TEXT_VOCAB, configFromJSON, isCausalLm, preset, validateConfig, type BertConfig, type GPT2Config, type LlamaFamilyConfig, type ModelConfig } from '../models/index.ts';
import { checkGrowable } from '../grow/index.ts';
import { checkDataFits, classificationConfigFor, dataLabel, imageDataNames, isImageData, textDataNames, type TrainData } from '../train/index.ts';
import { SpecError, fail, type Obj } from './fields.ts';
import type { DownstreamData, ExperimentSpec } from './spec.ts';

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

function resolveConfig(raw: string | Obj, path: string, vocab: VocabInfo, data: TrainData): ModelConfig {
  const base = at(path, () => (typeof raw === 'string' ? preset(raw) : configFromJSON(raw)));
  const images = base.model_type === 'vit' || base.model_type === 'deit';
  if (images !== isImageData(data)) fail(path, `${base.model_type} models take ${images ? 'images' : 'text'} but spec.data ${dataLabel(data)} is ${isImageData(data) ? 'image' : 'text'} data (${images ? imageDataNames.join(', ') : textDataNames.join(', ')})`);
  if (images) return at(path, () => (validateConfig(base), base));
  let config: BertConfig | GPT2Config | LlamaFamilyConfig = { ...(base as BertConfig | GPT2Config | LlamaFamilyConfig), vocab_size: vocab.size };
  if (isCausalLm(config) && typeof raw === 'string') {
    const eos = vocab.eos ?? vocab.size - 1;
    config = { ...config, bos_token_id: eos, eos_token_id: eos };
  }
  at(path, () => validateConfig(config));
  return config;
}

export function resolveModels(spec: ExperimentSpec, vocab: VocabInfo): ExperimentModels {
  const small = resolveConfig(spec.small.config, 'spec.small.config', vocab, spec.data);
  const large = resolveConfig(spec.large.config, 'spec.large.config', vocab, spec.data);
  at('spec.large.config', () => checkGrowable(small, large));
  at('spec.seqLen', () => {
    checkDataFits(small, spec.data, spec.seqLen);
    checkDataFits(large, spec.data, spec.seqLen);
  });
  const down = spec.downstream;
  if (down) at('spec.downstream', () => checkDataFits(downstreamConfig(large, down.data), down.data, down.seqLen));
  return { small, large };
}

/** The configs' vocabulary before the tokenizer exists: the spec's vocabSize, or a stand-in size for a tokenizer file. */
export function standInVocab(spec: ExperimentSpec): VocabInfo {
  return { size: spec.tokenizer && 'vocabSize' in spec.tokenizer ? spec.tokenizer.vocabSize : TEXT_VOCAB };
}

/** The large config as fine-tuned downstream: with Brown genres' classification head for text. */
export function downstreamConfig(large: ModelConfig, data: DownstreamData): ModelConfig {
  return data === 'brown-genre' ? classificationConfigFor(large, data) : large;
}
