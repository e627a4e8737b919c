// The model registry: one uniform interface (common.ts `Model`) per HuggingFace model_type,
// plus the config, preset and parameter-spec surface the rest of the toolkit uses.
//
//   const config = preset('bert-6L-512H');
//   const model = modelFor(config);
//   const params = model.initParams(config, 0);
//   const logits = model.forward(params, config, { inputIds });          // [B, T, vocab]
//   const { params: loaded, unexpectedKeys } = model.paramsFromFlat(config, tensors);
//
//   // fine-tuning: a masked-LM checkpoint under a sequence-classification head (fresh, seeded)
//   const cls = sequenceClassificationConfig(mlmConfig, ['neg', 'pos']);
//   const { params, initializedKeys } = modelFor(cls).paramsFromFlat(cls, mlmTensors, { seed: 0 });

import { ConfigError, modelTypes, type BertConfig, type GPT2Config, type LlamaFamilyConfig, type ModelConfig, type ModelType, type ViTConfig } from './config.ts';
import { bertModel, type BertParams } from './bert.ts';
import { gpt2Model, type GPT2Params } from './gpt2.ts';
import { vitModel, type ViTParams } from './vit.ts';
import { llamaModel, type LlamaParams } from './llama.ts';
import type { ImageBatch, Model, TextBatch } from './common.ts';
import { specEntries } from './params.ts';

export * from './config.ts';
export * from './presets.ts';
export type { ForwardOptions, ImageBatch, LayerUse, Model, TextBatch } from './common.ts';
export { CheckpointError } from '../io/index.ts';
export { ParamSpec, axisRoles, specEntries, type AxisRole, type AxisSide, type AxisSpec, type LoadOptions, type LoadResult, type ParamKind, type SpecEntry, type SpecTree } from './params.ts';
export * from './architecture.ts';
export {
  bertModel,
  bertForward,
  bertEncode,
  tokenDropMiddle,
  type BertParams,
  type BertForMaskedLMParams,
  type RobertaForMaskedLMParams,
  type BertForSequenceClassificationParams,
  type RobertaForSequenceClassificationParams,
  type BertMaskedLMParams,
  type BertSequenceClassificationParams,
  type BertBodyParams,
} from './bert.ts';
export { gpt2Model, gpt2Forward, type GPT2Params, type GPT2BlockParams } from './gpt2.ts';
export { shiftLabels } from './common.ts';
export { vitModel, vitForward, type ViTParams, type ViTForImageClassificationParams, type DeiTWithTeacherParams } from './vit.ts';
export { llamaModel, llamaForward, rotaryTables, type LlamaParams, type LlamaLayerParams } from './llama.ts';

export type ModelParams = BertParams | GPT2Params | ViTParams | LlamaParams;
export type Batch = TextBatch | ImageBatch;
export type AnyModel = Model<ModelConfig, ModelParams, Batch>;

const registry: Record<ModelType, AnyModel> = {
  bert: bertModel as AnyModel,
  roberta: bertModel as AnyModel,
  gpt2: gpt2Model as AnyModel,
  vit: vitModel as AnyModel,
  deit: vitModel as AnyModel,
  llama: llamaModel as AnyModel,
  qwen2: llamaModel as AnyModel,
};

/** The model family for a config (by model_type). */
export function modelFor(config: BertConfig): Model<BertConfig, BertParams, TextBatch>;
export function modelFor(config: GPT2Config): Model<GPT2Config, GPT2Params, TextBatch>;
export function modelFor(config: ViTConfig): Model<ViTConfig, ViTParams, ImageBatch>;
export function modelFor(config: LlamaFamilyConfig): Model<LlamaFamilyConfig, LlamaParams, TextBatch>;
export function modelFor(config: ModelConfig): AnyModel;
export function modelFor(config: ModelConfig): AnyModel {
  const m = registry[config.model_type];
  if (!m) throw new ConfigError(`unknown model_type '${config.model_type}': use one of ${modelTypes.join(', ')}`);
  return m;
}

/** Parameters of a model of `config` (tied weights once). */
export function parameterCount(config: ModelConfig): number {
  return specEntries(modelFor(config).paramSpec(config)).reduce((n, e) => n + e.spec.shape.reduce((a, b) => a * b, 1), 0);
}
