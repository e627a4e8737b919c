// Model configs with HuggingFace's exact config.json field names and class defaults
// (transformers' BertConfig, RobertaConfig, GPT2Config, ViTConfig, DeiTConfig, LlamaConfig,
// Qwen2Config), so a config.json
// written here loads into HuggingFace and back. `configFromJSON` fills HF's defaults for the
// fields a file leaves out and keeps the fields it does not know (e.g. transformers_version),
// except the weights' dtype (`torch_dtype`, v5's `dtype`), which becomes float32: ligo reads
// bf16/fp16 weights as float32 and writes them so, and transformers v5 loads a checkpoint in the
// dtype its config names;
// `validateConfig` rejects what the models here cannot run, with one-line messages saying what
// to change. Presets live in presets.ts.

export type HiddenAct = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu';
export const hiddenActs: readonly HiddenAct[] = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'];

/** The encoder fields BERT-style configs (BertConfig, ViTConfig) share, with HF's names. */
interface EncoderConfigFields {
  architectures: string[];
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: HiddenAct;
  hidden_dropout_prob: number;
  /** Read but not applied: the fused attention kernel has no probability dropout. */
  attention_probs_dropout_prob: number;
  initializer_range: number;
  layer_norm_eps: number;
}

/**
 * BertForMaskedLM / RobertaForMaskedLM (model_type 'bert' / 'roberta'), or, when `architectures`
 * names it, BertForSequenceClassification / RobertaForSequenceClassification (see bertHead).
 */
export interface BertConfig extends EncoderConfigFields {
  model_type: 'bert' | 'roberta';
  vocab_size: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  pad_token_id: number;
  bos_token_id?: number;
  eos_token_id?: number;
  position_embedding_type: 'absolute';
  tie_word_embeddings: boolean;
  /** Sequence classification: the number of classes (HF derives it from id2label; default 2). */
  num_labels?: number;
  /** Sequence classification: class names by index, keys '0', '1', ... as HF writes them. */
  id2label?: Record<string, string>;
  label2id?: Record<string, number>;
  /** Sequence classification: dropout before the classifier; null or absent: hidden_dropout_prob. */
  classifier_dropout?: number | null;
  /** Only 'single_label_classification' (cross-entropy) is supported. */
  problem_type?: string | null;
}

/** GPT2LMHeadModel. */
export interface GPT2Config {
  model_type: 'gpt2';
  architectures: string[];
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  /** FFN width; null means 4 * n_embd. */
  n_inner: number | null;
  activation_function: HiddenAct;
  resid_pdrop: number;
  embd_pdrop: number;
  /** Read but not applied: the fused attention kernel has no probability dropout. */
  attn_pdrop: number;
  layer_norm_epsilon: number;
  initializer_range: number;
  scale_attn_weights: boolean;
  scale_attn_by_inverse_layer_idx: boolean;
  reorder_and_upcast_attn: boolean;
  bos_token_id: number;
  eos_token_id: number;
  tie_word_embeddings: boolean;
}

/** ViTForImageClassification (model_type 'vit') and DeiTForImageClassificationWithTeacher ('deit'). */
export interface ViTConfig extends EncoderConfigFields {
  model_type: 'vit' | 'deit';
  image_size: number;
  patch_size: number;
  num_channels: number;
  qkv_bias: boolean;
  encoder_stride: number;
  /** HF derives this from id2label; it also accepts num_labels in config.json. */
  num_labels: number;
}

/**
 * Llama 3.1's rope_scaling (transformers' _compute_llama3_parameters; Llama 3.1 and 3.2 configs):
 * rotary frequencies whose wavelength exceeds original_max_position_embeddings / low_freq_factor
 * are divided by factor, those below original_max_position_embeddings / high_freq_factor kept,
 * and the ones between interpolated (models/llama.ts ropeInvFreq). Older files name rope_type `type`.
 */
export interface Llama3RopeScaling {
  rope_type: 'llama3';
  factor: number;
  low_freq_factor: number;
  high_freq_factor: number;
  original_max_position_embeddings: number;
}

/** The rope type a rope_scaling (or v5 rope_parameters) names: rope_type, or the older `type`. */
function ropeType(s: Record<string, unknown>): unknown {
  return s.rope_type ?? s.type;
}

/** The fields LlamaConfig and Qwen2Config share (HF's names; llama.ts reads only these and llamaBiases). */
interface LlamaFamilyFields {
  architectures: string[];
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Key/value heads (grouped-query attention); HF's null means num_attention_heads. */
  num_key_value_heads: number;
  /**
   * Size of each head; HF's null means hidden_size / num_attention_heads. (Not a Qwen2Config
   * argument: Qwen2Attention reads getattr(config, 'head_dim', hidden_size // num_attention_heads),
   * and that is how a missing one is filled.)
   */
  head_dim: number;
  hidden_act: 'silu';
  max_position_embeddings: number;
  initializer_range: number;
  rms_norm_eps: number;
  rope_theta: number;
  /** null (plain RoPE) or Llama 3.1's scaling of the rotary frequencies. */
  rope_scaling: Llama3RopeScaling | null;
  /** Only 0 is supported (the fused attention kernel has no probability dropout). */
  attention_dropout: number;
  tie_word_embeddings: boolean;
  pad_token_id: number | null;
  use_cache: boolean;
}

/**
 * LlamaForCausalLM (transformers' LlamaConfig; Llama 2/3, SmolLM, Mistral-style decoders without
 * sliding windows): RMSNorm, rotary position embeddings (the default rope type, or Llama 3.1's
 * 'llama3' rope_scaling), SwiGLU feed-forward (hidden_act silu), grouped-query attention
 * (num_key_value_heads).
 */
export interface LlamaConfig extends LlamaFamilyFields {
  model_type: 'llama';
  attention_bias: boolean;
  mlp_bias: boolean;
  /** Only 1 is supported (HF's tensor-parallel pretraining emulation). */
  pretraining_tp: number;
  bos_token_id: number;
  eos_token_id: number;
}

/**
 * Qwen2ForCausalLM (transformers' Qwen2Config; Qwen2 and Qwen2.5): Llama's decoder with biases on
 * q_proj, k_proj and v_proj only (o_proj and the feed-forward have none), so it runs on the Llama
 * model code (llama.ts; llamaBiases). Full attention only: sliding windows are refused.
 */
export interface Qwen2Config extends LlamaFamilyFields {
  model_type: 'qwen2';
  /** Only false is supported (every layer attends to the whole sequence). */
  use_sliding_window: boolean;
  /** HF's Qwen2Config sets it to null when use_sliding_window is false. */
  sliding_window: number | null;
  max_window_layers: number;
  bos_token_id: number | null;
  eos_token_id: number | null;
}

/** The Llama-style decoders (RMSNorm, rotary, SwiGLU, grouped-query attention) that share llama.ts. */
export type LlamaFamilyConfig = LlamaConfig | Qwen2Config;

export type ModelConfig = BertConfig | GPT2Config | ViTConfig | LlamaConfig | Qwen2Config;
export type ModelType = ModelConfig['model_type'];
export const modelTypes: readonly ModelType[] = ['bert', 'roberta', 'gpt2', 'vit', 'deit', 'llama', 'qwen2'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const bertDefaults: BertConfig = {
  model_type: 'bert',
  architectures: ['BertForMaskedLM'],
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  tie_word_embeddings: true,
};

const robertaDefaults: BertConfig = { ...bertDefaults, model_type: 'roberta', architectures: ['RobertaForMaskedLM'], vocab_size: 50265, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2 };

const gpt2Defaults: GPT2Config = {
  model_type: 'gpt2',
  architectures: ['GPT2LMHeadModel'],
  vocab_size: 50257,
  n_positions: 1024,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  n_inner: null,
  activation_function: 'gelu_new',
  resid_pdrop: 0.1,
  embd_pdrop: 0.1,
  attn_pdrop: 0.1,
  layer_norm_epsilon: 1e-5,
  initializer_range: 0.02,
  scale_attn_weights: true,
  scale_attn_by_inverse_layer_idx: false,
  reorder_and_upcast_attn: false,
  bos_token_id: 50256,
  eos_token_id: 50256,
  tie_word_embeddings: true,
};

const vitDefaults: ViTConfig = {
  model_type: 'vit',
  architectures: ['ViTForImageClassification'],
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  image_size: 224,
  patch_size: 16,
  num_channels: 3,
  qkv_bias: true,
  encoder_stride: 16,
  num_labels: 2,
};

const deitDefaults: ViTConfig = { ...vitDefaults, model_type: 'deit', architectures: ['DeiTForImageClassificationWithTeacher'] };

const llamaDefaults: LlamaConfig = {
  model_type: 'llama',
  architectures: ['LlamaForCausalLM'],
  vocab_size: 32000,
  hidden_size: 4096,
  intermediate_size: 11008,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 32,
  head_dim: 128,
  hidden_act: 'silu',
  max_position_embeddings: 2048,
  initializer_range: 0.02,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  rope_scaling: null,
  attention_bias: false,
  attention_dropout: 0,
  mlp_bias: false,
  pretraining_tp: 1,
  tie_word_embeddings: false,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: null,
  use_cache: true,
};

const qwen2Defaults: Qwen2Config = {
  model_type: 'qwen2',
  architectures: ['Qwen2ForCausalLM'],
  vocab_size: 151936,
  hidden_size: 4096,
  intermediate_size: 22016,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 32,
  head_dim: 128,
  hidden_act: 'silu',
  max_position_embeddings: 32768,
  initializer_range: 0.02,
  rms_norm_eps: 1e-6,
  use_cache: true,
  tie_word_embeddings: false,
  rope_theta: 10000,
  rope_scaling: null,
  use_sliding_window: false,
  sliding_window: 4096,
  max_window_layers: 28,
  attention_dropout: 0,
  bos_token_id: null,
  eos_token_id: null,
  pad_token_id: null,
};

/** HuggingFace's class defaults for a model_type. */
export function defaultsFor(modelType: ModelType): ModelConfig {
  const table: Record<ModelType, ModelConfig> = { bert: bertDefaults, roberta: robertaDefaults, gpt2: gpt2Defaults, vit: vitDefaults, deit: deitDefaults, llama: llamaDefaults, qwen2: qwen2Defaults };
  const d = table[modelType];
  if (!d) throw new ConfigError(`unknown model_type '${modelType}': use one of ${modelTypes.join(', ')}`);
  return structuredClone(d);
}

// ---- BERT / RoBERTa heads ----------------------------------------------------------------

/** Which head a BERT-family config asks for: its `architectures` entry (masked LM when none names one). */
export type BertHead = 'masked-lm' | 'sequence-classification';

const bertArchitectures: Record<BertConfig['model_type'], Record<BertHead, string>> = {
  bert: { 'masked-lm': 'BertForMaskedLM', 'sequence-classification': 'BertForSequenceClassification' },
  roberta: { 'masked-lm': 'RobertaForMaskedLM', 'sequence-classification': 'RobertaForSequenceClassification' },
};

export function bertHead(c: BertConfig): BertHead {
  return (c.architectures ?? []).some((a) => a.endsWith('ForSequenceClassification')) ? 'sequence-classification' : 'masked-lm';
}

/** num_labels as HF reads it: the field, else the size of id2label, else 2. */
export function numLabels(c: { num_labels?: number; id2label?: Record<string, string> }): number {
  return c.num_labels ?? (c.id2label ? Object.keys(c.id2label).length : 2);
}

/** The class names of a classification config in index order (HF's LABEL_i when it has no id2label). */
export function labelNames(c: { num_labels?: number; id2label?: Record<string, string> }): string[] {
  return Array.from({ length: numLabels(c) }, (_, i) => c.id2label?.[String(i)] ?? `LABEL_${i}`);
}

/**
 * The BertForSequenceClassification / RobertaForSequenceClassification config over `labels`
 * (id2label, label2id, num_labels set) with the encoder of `c` (a masked-LM or classification config).
 */
export function sequenceClassificationConfig(c: BertConfig, labels: readonly string[]): BertConfig {
  const id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
  const label2id = Object.fromEntries(labels.map((l, i) => [l, i]));
  const out: BertConfig = { ...c, architectures: [bertArchitectures[c.model_type]['sequence-classification']], num_labels: labels.length, id2label, label2id };
  validateConfig(out);
  return out;
}

/** How many classes a model's logits score: the vocabulary (LM heads) or the labels. */
export function outputClasses(c: ModelConfig): number {
  switch (c.model_type) {
    case 'gpt2':
    case 'llama':
    case 'qwen2':
      return c.vocab_size;
    case 'vit':
    case 'deit':
      return c.num_labels;
    default:
      return bertHead(c) === 'masked-lm' ? c.vocab_size : numLabels(c);
  }
}

/** Token positions a text model has (RoBERTa's start after padding_idx + 1); null for image models. */
export function textPositions(c: ModelConfig): number | null {
  switch (c.model_type) {
    case 'gpt2':
      return c.n_positions;
    case 'roberta':
      return c.max_position_embeddings - (c.pad_token_id + 1);
    case 'bert':
    case 'llama':
    case 'qwen2':
      return c.max_position_embeddings;
    case 'vit':
    case 'deit':
      return null;
  }
}

/** Whether a config is a Llama-style decoder (Llama, Qwen2): the model code of llama.ts. */
export function isLlamaFamily(c: ModelConfig): c is LlamaFamilyConfig {
  return c.model_type === 'llama' || c.model_type === 'qwen2';
}

/** Which of a Llama-family decoder's linear layers have biases: as the config asks (Llama), or q/k/v only (Qwen2). */
export function llamaBiases(c: LlamaFamilyConfig): { qkv: boolean; o: boolean; mlp: boolean } {
  return c.model_type === 'qwen2' ? { qkv: true, o: false, mlp: false } : { qkv: c.attention_bias, o: c.attention_bias, mlp: c.mlp_bias };
}

/** Whether a config is a decoder trained as a causal LM (GPT-2, the Llama family). */
export function isCausalLm(c: ModelConfig): c is GPT2Config | LlamaFamilyConfig {
  return c.model_type === 'gpt2' || isLlamaFamily(c);
}

/** A parsed config.json: HF defaults filled in, num_labels derived from id2label, validated. */
export function configFromJSON(json: unknown): ModelConfig {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ConfigError('config.json must hold a JSON object');
  const raw = json as Record<string, unknown>;
  if (typeof raw.model_type !== 'string') throw new ConfigError(`config.json has no model_type: set it to one of ${modelTypes.join(', ')}`);
  const cfg = { ...defaultsFor(raw.model_type as ModelType), ...raw } as Record<string, unknown>;
  if (raw.num_labels === undefined && raw.id2label && typeof raw.id2label === 'object') cfg.num_labels = Object.keys(raw.id2label).length;
  for (const k of ['torch_dtype', 'dtype']) if (raw[k] !== undefined) cfg[k] = 'float32';
  if (raw.model_type === 'gpt2' && raw.n_positions === undefined && typeof raw.n_ctx === 'number') cfg.n_positions = raw.n_ctx;
  if (raw.model_type === 'llama' || raw.model_type === 'qwen2') {
    // As LlamaConfig.__init__ and Qwen2Attention: null key/value heads mean one per query head; a missing head_dim is hidden_size // heads.
    if (raw.num_key_value_heads == null) cfg.num_key_value_heads = cfg.num_attention_heads;
    if (raw.head_dim == null) cfg.head_dim = Math.floor((cfg.hidden_size as number) / (cfg.num_attention_heads as number));
    if (raw.rope_parameters !== undefined) Object.assign(cfg, ropeFromParameters(raw));
    delete cfg.rope_parameters;
  }
  if (raw.model_type === 'qwen2') {
    if (cfg.use_sliding_window === false) cfg.sliding_window = null; // as Qwen2Config.__init__
    // Newer transformers write layer_types, each layer's attention, which Qwen2Config derives from
    // the sliding-window fields: left out here (HF derives it again), so a grown config never
    // carries the small model's list.
    const types = raw.layer_types;
    if (types !== undefined && !(Array.isArray(types) && types.every((t) => t === 'full_attention'))) throw new ConfigError(`qwen2 config: layer_types ${JSON.stringify(types)} is not supported: only full attention is implemented; every entry must be 'full_attention'`);
    delete cfg.layer_types;
  }
  const config = cfg as unknown as ModelConfig;
  validateConfig(config);
  return config;
}

/**
 * transformers v5 writes `rope_parameters` ({ rope_type, rope_theta, and the type's fields }) in
 * place of rope_theta and rope_scaling: read here into those two (written back so, which v5 still
 * reads). A top-level rope_theta that disagrees is refused; the rope type is checked with
 * rope_scaling's (validateLlama).
 */
function ropeFromParameters(raw: Record<string, unknown>): { rope_theta: unknown; rope_scaling: unknown } {
  const p = raw.rope_parameters;
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw new ConfigError(`${raw.model_type as string} config: rope_parameters ${JSON.stringify(p)} must be an object such as {"rope_type": "default", "rope_theta": 10000}`);
  const { rope_theta: theta = raw.rope_theta ?? 10000, ...scaling } = p as Record<string, unknown>;
  if (raw.rope_theta !== undefined && raw.rope_theta !== theta) throw new ConfigError(`${raw.model_type as string} config: rope_parameters ${JSON.stringify(p)} disagrees with rope_theta ${JSON.stringify(raw.rope_theta)}: keep one of them`);
  const type = ropeType(scaling) ?? 'default';
  return { rope_theta: theta, rope_scaling: type === 'default' && Object.keys(scaling).every((k) => k === 'rope_type' || k === 'type') ? null : scaling };
}

// ---- validation ---------------------------------------------------------------------------

type Fields = Record<string, unknown>;

function fail(c: { model_type: string }, msg: string): never {
  throw new ConfigError(`${c.model_type} config: ${msg}`);
}

function positiveInts(c: Fields & { model_type: string }, keys: string[]): void {
  for (const k of keys) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(c, `${k} must be a positive integer, got ${JSON.stringify(v)}`);
  }
}

function probabilities(c: Fields & { model_type: string }, keys: string[]): void {
  for (const k of keys) {
    const v = c[k];
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(c, `${k} must be a probability in [0, 1), got ${JSON.stringify(v)}`);
  }
}

function positiveNumbers(c: Fields & { model_type: string }, keys: string[]): void {
  for (const k of keys) {
    const v = c[k];
    if (typeof v !== 'number' || !(v > 0)) fail(c, `${k} must be a positive number, got ${JSON.stringify(v)}`);
  }
}

/** The divisor of n nearest to `heads`, to suggest in the error. */
function nearestDivisor(n: number, heads: number): number {
  for (let d = 0; d < n; d++) {
    if (n % (heads + d) === 0) return heads + d;
    if (heads - d >= 1 && n % (heads - d) === 0) return heads - d;
  }
  return 1;
}

function divisible(c: { model_type: string }, hiddenKey: string, hidden: number, headsKey: string, heads: number): void {
  if (hidden % heads !== 0) fail(c, `${hiddenKey} ${hidden} is not divisible by ${headsKey} ${heads}: change ${headsKey} to a divisor of ${hidden} (e.g. ${nearestDivisor(hidden, heads)}) or ${hiddenKey} to a multiple of ${heads}`);
}

function activationKnown(c: { model_type: string }, key: string, v: unknown): void {
  if (!hiddenActs.includes(v as HiddenAct)) fail(c, `${key} '${String(v)}' is not supported: use one of ${hiddenActs.join(', ')}`);
}

function tied(c: { model_type: string; tie_word_embeddings?: boolean }): void {
  if (c.tie_word_embeddings === false) fail(c, 'tie_word_embeddings false is not supported: the output layer always shares the word embeddings; set it to true');
}

function validateBert(c: BertConfig): void {
  const f = c as unknown as Fields & BertConfig;
  positiveInts(f, ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'type_vocab_size']);
  probabilities(f, ['hidden_dropout_prob', 'attention_probs_dropout_prob']);
  positiveNumbers(f, ['layer_norm_eps', 'initializer_range']);
  divisible(c, 'hidden_size', c.hidden_size, 'num_attention_heads', c.num_attention_heads);
  activationKnown(c, 'hidden_act', c.hidden_act);
  if (!Number.isInteger(c.pad_token_id) || c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size) fail(c, `pad_token_id ${c.pad_token_id} must be a token id in [0, vocab_size ${c.vocab_size})`);
  if (c.position_embedding_type !== 'absolute') fail(c, `position_embedding_type '${c.position_embedding_type}' is not supported: use 'absolute'`);
  if (c.model_type === 'roberta' && c.max_position_embeddings <= c.pad_token_id + 1) fail(c, `max_position_embeddings ${c.max_position_embeddings} leaves no positions after padding_idx ${c.pad_token_id}: make it at least ${c.pad_token_id + 2}`);
  tied(c);
  validateBertHead(c);
}

function validateBertHead(c: BertConfig): void {
  const archs = c.architectures ?? [];
  const known = bertArchitectures[c.model_type];
  const other = bertArchitectures[c.model_type === 'bert' ? 'roberta' : 'bert'];
  const wrong = archs.find((a) => Object.values(other).includes(a));
  if (wrong) fail(c, `architectures names ${wrong}, which is not a ${c.model_type} model: use ${known[bertHead(c)]}`);
  if (bertHead(c) === 'masked-lm') return;
  const n = numLabels(c);
  if (!Number.isInteger(n) || n < 2) fail(c, `num_labels ${JSON.stringify(c.num_labels)} is not supported: sequence classification needs an integer num_labels >= 2 (regression, num_labels 1, is not supported)`);
  if (c.id2label) {
    const keys = Object.keys(c.id2label);
    if (keys.length !== n) fail(c, `id2label has ${keys.length} labels but num_labels is ${n}: make them agree`);
    const missing = Array.from({ length: n }, (_, i) => String(i)).find((k) => !(k in c.id2label!));
    if (missing !== undefined) fail(c, `id2label has no label for class ${missing}: its keys must be 0..${n - 1}`);
  }
  if (c.problem_type != null && c.problem_type !== 'single_label_classification') fail(c, `problem_type '${c.problem_type}' is not supported: use 'single_label_classification' (or leave it out)`);
  const d = c.classifier_dropout;
  if (d != null && !(typeof d === 'number' && d >= 0 && d < 1)) fail(c, `classifier_dropout must be null or a probability in [0, 1), got ${JSON.stringify(d)}`);
}

function validateGpt2(c: GPT2Config): void {
  const f = c as unknown as Fields & GPT2Config;
  positiveInts(f, ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head']);
  if (c.n_inner !== null) positiveInts(f, ['n_inner']);
  probabilities(f, ['resid_pdrop', 'embd_pdrop', 'attn_pdrop']);
  positiveNumbers(f, ['layer_norm_epsilon', 'initializer_range']);
  divisible(c, 'n_embd', c.n_embd, 'n_head', c.n_head);
  activationKnown(c, 'activation_function', c.activation_function);
  tied(c);
}

function validateVit(c: ViTConfig): void {
  const f = c as unknown as Fields & ViTConfig;
  positiveInts(f, ['hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'image_size', 'patch_size', 'num_channels', 'num_labels']);
  probabilities(f, ['hidden_dropout_prob', 'attention_probs_dropout_prob']);
  positiveNumbers(f, ['layer_norm_eps', 'initializer_range']);
  divisible(c, 'hidden_size', c.hidden_size, 'num_attention_heads', c.num_attention_heads);
  activationKnown(c, 'hidden_act', c.hidden_act);
  if (c.image_size % c.patch_size !== 0) fail(c, `image_size ${c.image_size} is not a multiple of patch_size ${c.patch_size}: change one so that patch_size divides image_size`);
  if (c.qkv_bias !== true) fail(c, 'qkv_bias false is not supported: set it to true');
}

/** Llama and Qwen2: the shared decoder's checks, then each config's own fields. */
function validateLlama(c: LlamaFamilyConfig): void {
  const f = c as unknown as Fields & LlamaFamilyConfig;
  positiveInts(f, ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'head_dim', 'max_position_embeddings']);
  positiveNumbers(f, ['rms_norm_eps', 'initializer_range', 'rope_theta']);
  if (c.num_attention_heads % c.num_key_value_heads !== 0) fail(c, `num_attention_heads ${c.num_attention_heads} is not a multiple of num_key_value_heads ${c.num_key_value_heads}: each key/value head serves a whole group of query heads (e.g. num_key_value_heads ${nearestDivisor(c.num_attention_heads, c.num_key_value_heads)})`);
  if (c.head_dim % 2 !== 0) fail(c, `head_dim ${c.head_dim} is odd: rotary embeddings rotate pairs of dimensions, so it must be even`);
  if (c.hidden_act !== 'silu') fail(c, `hidden_act '${String(c.hidden_act)}' is not supported: Llama's gated feed-forward uses 'silu'`);
  if (c.rope_scaling != null) validateRopeScaling(c, c.rope_scaling as unknown);
  if (c.attention_dropout !== 0) fail(c, `attention_dropout ${c.attention_dropout} is not supported: the fused attention kernel has no probability dropout; set it to 0`);
  if (typeof c.tie_word_embeddings !== 'boolean') fail(c, `tie_word_embeddings must be true or false, got ${JSON.stringify(c.tie_word_embeddings)}`);
  if (c.model_type === 'llama') {
    if (c.pretraining_tp !== 1) fail(c, `pretraining_tp ${c.pretraining_tp} is not supported: set it to 1 (it only emulates tensor-parallel rounding)`);
    for (const k of ['attention_bias', 'mlp_bias'] as const) if (typeof c[k] !== 'boolean') fail(c, `${k} must be true or false, got ${JSON.stringify(c[k])}`);
  } else if (c.use_sliding_window !== false) {
    fail(c, `use_sliding_window ${JSON.stringify(c.use_sliding_window)} is not supported: only full attention is implemented; set it to false`);
  }
  if (c.pad_token_id !== null && c.pad_token_id !== undefined && !(Number.isInteger(c.pad_token_id) && c.pad_token_id >= 0 && c.pad_token_id < c.vocab_size)) fail(c, `pad_token_id ${c.pad_token_id} must be null or a token id in [0, vocab_size ${c.vocab_size})`);
}

const LLAMA3_ROPE_FIELDS = ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings'] as const;

/** rope_scaling: Llama 3.1's 'llama3' with its four fields and nothing else (HF's required keys), or refused. */
function validateRopeScaling(c: LlamaFamilyConfig, s: unknown): void {
  const shown = `rope_scaling ${JSON.stringify(s)}`;
  if (!s || typeof s !== 'object' || Array.isArray(s)) fail(c, `${shown} must be null or an object`);
  const o = s as Record<string, unknown>;
  if (ropeType(o) !== 'llama3') fail(c, `${shown} is not supported: only plain rotary embeddings (rope_scaling null, rope_type 'default') and Llama 3.1's rope_type 'llama3' are implemented`);
  const extra = Object.keys(o).filter((k) => k !== 'rope_type' && k !== 'type' && !(LLAMA3_ROPE_FIELDS as readonly string[]).includes(k));
  if (extra.length > 0) fail(c, `${shown}: 'llama3' takes ${LLAMA3_ROPE_FIELDS.join(', ')}, not ${extra.join(', ')}`);
  for (const k of LLAMA3_ROPE_FIELDS) if (!(typeof o[k] === 'number' && (o[k] as number) > 0 && Number.isFinite(o[k]))) fail(c, `${shown}: ${k} must be a positive number`);
  if (!Number.isInteger(o.original_max_position_embeddings)) fail(c, `${shown}: original_max_position_embeddings must be an integer`);
  if ((o.high_freq_factor as number) <= (o.low_freq_factor as number)) fail(c, `${shown}: high_freq_factor must be greater than low_freq_factor`);
}

/** Throws a ConfigError naming the field and what to change when the config cannot be run. */
export function validateConfig(config: ModelConfig): void {
  switch (config.model_type) {
    case 'bert':
    case 'roberta':
      return validateBert(config);
    case 'gpt2':
      return validateGpt2(config);
    case 'vit':
    case 'deit':
      return validateVit(config);
    case 'llama':
    case 'qwen2':
      return validateLlama(config);
    default:
      throw new ConfigError(`unknown model_type '${(config as { model_type: unknown }).model_type}': use one of ${modelTypes.join(', ')}`);
  }
}
