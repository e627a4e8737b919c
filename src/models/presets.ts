// Named model sizes, from test-sized to the LiGO paper's (Wang et al., ICLR 2023): BERT-Small
// (6L-512H) -> BERT-Base (12L-768H) -> BERT-Large (24L-1024H), the same for RoBERTa, GPT-2
// (124M, medium) and DeiT-T/S/B. Names spell the size (`bert-6L-512H`) where the paper's names
// are ambiguous (Turc et al.'s "BERT-Small" is 4L-512H).
//
// Text presets default to a vocabulary of 8192: this toolkit trains its own small tokenizers,
// and a growth operator needs source and target to share one vocabulary. So `gpt2` is GPT-2's
// 124M architecture (124M parameters at HF's 50257 vocab, 92M at 8192). Override vocab_size
// (and the special token ids) to match a tokenizer. GPT-2 presets put bos/eos at the last id,
// as GPT-2's <|endoftext|> is. `deit-*` are DeiT's sizes with the plain ViT architecture (as the
// facebook/deit-*-patch16-224 checkpoints are); `deit-*-distilled` add the distillation token.
// Llama presets (LlamaForCausalLM) keep their models' shapes at the 8192 vocabulary, bos/eos at
// the last id: `llama-tiny` for tests (2 query heads per key/value head), `llama-2L-128H` ->
// `llama-4L-192H` for the study (the paper's depth x2, width x1.5, heads of 64 as the BERT rows;
// one key/value head per query head, so that the head-copying operators can widen it too),
// `smollm-135m` and `smollm-360m` (HuggingFaceTB/SmolLM-135M / -360M: 9 heads over 3 key/value
// heads, tied embeddings) and `llama-1b` (Llama 3.2 1B's shape: 32 heads over 8, head size 64,
// rope_theta 500000 with its llama3 rope_scaling, tied). Qwen2 presets (Qwen2ForCausalLM: the
// Llama shapes with q/k/v biases, rms_norm_eps 1e-6 as Qwen2's checkpoints) mirror them:
// `qwen2-tiny`, `qwen2-2L-128H` -> `qwen2-4L-192H`, and `qwen2.5-0.5b` (Qwen/Qwen2.5-0.5B's
// shape: 14 heads over 2 key/value heads, head size 64, rope_theta 1000000, tied).

import { ConfigError, defaultsFor, validateConfig, type BertConfig, type GPT2Config, type Llama3RopeScaling, type LlamaFamilyConfig, type ModelConfig, type ViTConfig } from './config.ts';

export const TEXT_VOCAB = 8192;

interface Size {
  layers: number;
  hidden: number;
  heads: number;
}

function bert(modelType: 'bert' | 'roberta', s: Size): BertConfig {
  const base = defaultsFor(modelType) as BertConfig;
  const roberta = modelType === 'roberta';
  return {
    ...base,
    vocab_size: TEXT_VOCAB,
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    intermediate_size: 4 * s.hidden,
    // As roberta-base's config.json: positions offset by padding_idx + 1, one token type.
    ...(roberta ? { max_position_embeddings: 514, type_vocab_size: 1, layer_norm_eps: 1e-5 } : {}),
  };
}

function gpt2(s: Size): GPT2Config {
  return { ...(defaultsFor('gpt2') as GPT2Config), vocab_size: TEXT_VOCAB, n_embd: s.hidden, n_layer: s.layers, n_head: s.heads, bos_token_id: TEXT_VOCAB - 1, eos_token_id: TEXT_VOCAB - 1 };
}

function deit(s: Size, distilled: boolean): ViTConfig {
  return { ...(defaultsFor(distilled ? 'deit' : 'vit') as ViTConfig), hidden_size: s.hidden, num_hidden_layers: s.layers, num_attention_heads: s.heads, intermediate_size: 4 * s.hidden, num_labels: 1000 };
}

interface LlamaSize extends Size {
  kvHeads: number;
  ffn: number;
  tied: boolean;
  ropeTheta?: number;
  ropeScaling?: Llama3RopeScaling;
  maxPositions?: number;
  rmsEps?: number;
}

/** A Llama-family decoder (model_type 'llama' or 'qwen2') of size `s`, bos/eos at the last id. */
function llama(s: LlamaSize, modelType: LlamaFamilyConfig['model_type'] = 'llama'): LlamaFamilyConfig {
  return {
    ...(defaultsFor(modelType) as LlamaFamilyConfig),
    vocab_size: TEXT_VOCAB,
    hidden_size: s.hidden,
    intermediate_size: s.ffn,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    head_dim: s.hidden / s.heads,
    tie_word_embeddings: s.tied,
    rope_theta: s.ropeTheta ?? 10000,
    rope_scaling: s.ropeScaling ?? null,
    max_position_embeddings: s.maxPositions ?? 2048,
    rms_norm_eps: s.rmsEps ?? (modelType === 'qwen2' ? 1e-6 : 1e-5),
    bos_token_id: TEXT_VOCAB - 1,
    eos_token_id: TEXT_VOCAB - 1,
  };
}

const llamaTiny: LlamaSize = { layers: 2, hidden: 64, heads: 4, kvHeads: 2, ffn: 176, tied: false };
const llamaStudySmall: LlamaSize = { layers: 2, hidden: 128, heads: 2, kvHeads: 2, ffn: 352, tied: false };
const llamaStudyLarge: LlamaSize = { layers: 4, hidden: 192, heads: 3, kvHeads: 3, ffn: 512, tied: false };

const tiny: Size = { layers: 2, hidden: 128, heads: 2 };
const mini: Size = { layers: 4, hidden: 256, heads: 4 };
const small: Size = { layers: 6, hidden: 512, heads: 8 };
const base: Size = { layers: 12, hidden: 768, heads: 12 };
const large: Size = { layers: 24, hidden: 1024, heads: 16 };
const deitT: Size = { layers: 12, hidden: 192, heads: 3 };
const deitS: Size = { layers: 12, hidden: 384, heads: 6 };

const table: Record<string, () => ModelConfig> = {
  'bert-tiny': () => bert('bert', tiny),
  'bert-4L-256H': () => bert('bert', mini),
  'bert-6L-512H': () => bert('bert', small),
  'bert-12L-768H': () => bert('bert', base),
  'bert-24L-1024H': () => bert('bert', large),
  'roberta-tiny': () => bert('roberta', tiny),
  'roberta-4L-256H': () => bert('roberta', mini),
  'roberta-6L-512H': () => bert('roberta', small),
  'roberta-12L-768H': () => bert('roberta', base),
  'roberta-24L-1024H': () => bert('roberta', large),
  'gpt2-tiny': () => gpt2(tiny),
  'gpt2-4L-256H': () => gpt2(mini),
  'gpt2-6L-512H': () => gpt2(small),
  gpt2: () => gpt2(base),
  'gpt2-medium': () => gpt2(large),
  // A CIFAR-sized ViT for quick runs: 32x32x3 images, 4x4 patches (64 patches), 10 labels.
  'vit-tiny': () => ({ ...deit(tiny, false), image_size: 32, patch_size: 4, num_labels: 10 }),
  'deit-tiny': () => deit(deitT, false),
  'deit-small': () => deit(deitS, false),
  'deit-base': () => deit(base, false),
  'deit-tiny-distilled': () => deit(deitT, true),
  'deit-small-distilled': () => deit(deitS, true),
  'deit-base-distilled': () => deit(base, true),
  'llama-tiny': () => llama(llamaTiny),
  'llama-2L-128H': () => llama(llamaStudySmall),
  'llama-4L-192H': () => llama(llamaStudyLarge),
  'smollm-135m': () => llama({ layers: 30, hidden: 576, heads: 9, kvHeads: 3, ffn: 1536, tied: true }),
  'smollm-360m': () => llama({ layers: 32, hidden: 960, heads: 15, kvHeads: 5, ffn: 2560, tied: true }),
  'llama-1b': () => llama({ layers: 16, hidden: 2048, heads: 32, kvHeads: 8, ffn: 8192, tied: true, ropeTheta: 500000, maxPositions: 131072, ropeScaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } }),
  'qwen2-tiny': () => llama(llamaTiny, 'qwen2'),
  'qwen2-2L-128H': () => llama(llamaStudySmall, 'qwen2'),
  'qwen2-4L-192H': () => llama(llamaStudyLarge, 'qwen2'),
  'qwen2.5-0.5b': () => llama({ layers: 24, hidden: 896, heads: 14, kvHeads: 2, ffn: 4864, tied: true, ropeTheta: 1000000, maxPositions: 32768 }, 'qwen2'),
};

export const presetNames: readonly string[] = Object.keys(table);

/** A preset config with `overrides` applied on top, validated. */
export function preset<C extends ModelConfig = ModelConfig>(name: string, overrides: Partial<C> = {}): C {
  const make = table[name];
  if (!make) throw new ConfigError(`unknown preset '${name}': use one of ${presetNames.join(', ')}`);
  const config = { ...make(), ...overrides } as C;
  validateConfig(config);
  return config;
}
