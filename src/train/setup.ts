// Preparing a run's data: the dataset a config trains on (text corpora for BERT/RoBERTa/GPT-2,
// MNIST/Fashion-MNIST for ViT/DeiT, Brown genre classification for BERT/RoBERTa with a
// sequence-classification head), its tokenizer, and the task (tasks.ts) over it.
//
// 'brown-genre' fine-tunes: the config becomes BertForSequenceClassification /
// RobertaForSequenceClassification over BROWN_GENRES (classificationConfigFor), the text is the
// Brown corpus (its tokenizer trained on Brown when the model brings none), and the pieces of each
// document are at most --seq-len tokens (brownGenreTask).
//
// Tokenizer, in order of preference: the run directory's own tokenizer.json (a resumed run), the
// one shipped with the starting checkpoint, or a new one trained on the corpus's training split
// (never the validation split) with vocab_size = config.vocab_size: WordPiece for BERT,
// byte-level BPE for GPT-2 and RoBERTa (with their special tokens). It is saved into the run
// directory so a resumed run uses the same ids. Token shards are cached in RUN_DIR/token-cache.

import fs from 'node:fs';
import { join } from 'node:path';
import { bertHead, isCausalLm, labelNames, textPositions, sequenceClassificationConfig, type BertConfig, type ModelConfig, type ViTConfig } from '../models/index.ts';
import { BROWN_GENRES, brownGenreDataset, buildTokenShards, loadCorpus, loadMnist, splitDocuments, type CorpusName, type ImageDatasetName, type PreparedCorpus, type TokenShards } from '../data/index.ts';
import { GPT2_SPECIALS, ROBERTA_SPECIALS, loadTokenizer, saveTokenizer, tokenizerFromJSON, trainByteLevelBPE, trainWordPiece, type Tokenizer } from '../tokenize/index.ts';
import { imageTask, sequenceClassificationTask, textTask, type TaskFactory } from './tasks.ts';
import { classificationDataNames, dataLabel, imageDataNames, textDataNames, type ClassificationDataName, type TrainData } from './data-names.ts';

const isImageModel = (c: ModelConfig): c is ViTConfig => c.model_type === 'vit' || c.model_type === 'deit';
const isBertModel = (c: ModelConfig): c is BertConfig => c.model_type === 'bert' || c.model_type === 'roberta';
export const isImageData = (d: TrainData): d is ImageDatasetName => (imageDataNames as readonly unknown[]).includes(d);
export const isClassificationData = (d: TrainData): d is ClassificationDataName => (classificationDataNames as readonly unknown[]).includes(d);

/** The corpus a text dataset's tokenizer and documents come from. */
export const corpusOf = (d: CorpusName | ClassificationDataName): CorpusName => (d === 'brown-genre' ? 'brown' : d);

/** The class names of a classification dataset, in label order. */
export function dataLabels(d: ClassificationDataName): readonly string[] {
  switch (d) {
    case 'brown-genre':
      return BROWN_GENRES;
  }
}

/**
 * The config that fine-tunes on a classification dataset: a masked-LM BERT/RoBERTa config gets
 * the sequence-classification head over the dataset's labels; a classification config must
 * already have exactly those labels. Throws a one-line error otherwise.
 */
export function classificationConfigFor(config: ModelConfig, data: ClassificationDataName): BertConfig {
  const labels = dataLabels(data);
  if (!isBertModel(config)) throw new Error(`--data ${data} fine-tunes a BERT or RoBERTa model (sequence classification), but the model is ${config.model_type}`);
  if (bertHead(config) === 'masked-lm') return sequenceClassificationConfig(config, labels);
  const have = labelNames(config);
  if (have.length !== labels.length || have.some((l, i) => l !== labels[i])) {
    throw new Error(`the model classifies ${have.length} labels (${have.slice(0, 4).join(', ')}${have.length > 4 ? ', ...' : ''}) but --data ${data} has ${labels.length} (${labels.slice(0, 4).join(', ')}, ...): start from a masked-LM checkpoint, or one fine-tuned on ${data}`);
  }
  return config;
}

export interface BatchShape {
  batchSize: number;
  seqLen: number;
  seed: number;
  /** Seeds a masked LM's static validation masks (default: seed; textTask). */
  validationSeed?: number;
  evalBatches: number;
}

/** Throws a one-line error when the data cannot feed the model (wrong modality, too-long sequences). */
export function checkDataFits(config: ModelConfig, data: TrainData, seqLen: number): void {
  if (isClassificationData(data) && !(isBertModel(config) && bertHead(config) === 'sequence-classification')) {
    throw new Error(`--data ${data} needs a BERT or RoBERTa sequence-classification config (see classificationConfigFor), but the model is ${config.model_type} ${config.architectures?.[0] ?? ''}`.trimEnd());
  }
  if (!isClassificationData(data) && isBertModel(config) && bertHead(config) === 'sequence-classification') {
    throw new Error(`the model is a ${config.architectures[0]}; --data ${dataLabel(data)} trains a masked LM: use --data ${classificationDataNames.join(' or ')}, or start from a masked-LM checkpoint`);
  }
  if (isImageModel(config) !== isImageData(data)) {
    throw new Error(`--data ${dataLabel(data)} is ${isImageData(data) ? 'an image' : 'a text'} dataset but the model is ${config.model_type}: use ${isImageModel(config) ? imageDataNames.join(' or ') : textDataNames.join(', ')}`);
  }
  if (isImageModel(config)) {
    if (config.image_size !== 28 || config.num_channels !== 1 || config.num_labels !== 10) throw new Error(`${data} images are 28x28x1 with 10 labels, but the config has image_size ${config.image_size}, num_channels ${config.num_channels}, num_labels ${config.num_labels}`);
    return;
  }
  const maxLen = textPositions(config)!;
  if (seqLen > maxLen) throw new Error(`--seq-len ${seqLen} is longer than the model's ${maxLen} positions`);
}

/** The run's tokenizer (see the header), saved as RUN_DIR/tokenizer.json. */
export function runTokenizer(config: ModelConfig, data: CorpusName, runDir: string, fromTokenizer: unknown | null, note: (line: string) => void = () => {}): Tokenizer {
  return keptTokenizer(runDir, fromTokenizer) ?? trainRunTokenizer(config, `${data}'s training split`, splitDocuments(loadCorpus(data)).train.map((d) => d.text), runDir, note);
}

/** RUN_DIR/tokenizer.json, or the given (starting checkpoint's) one saved there; null when the run must train one. */
export function keptTokenizer(runDir: string, fromTokenizer: unknown | null): Tokenizer | null {
  const path = join(runDir, 'tokenizer.json');
  if (fs.existsSync(path)) return loadTokenizer(path);
  return fromTokenizer === null ? null : savedTokenizer(runDir, tokenizerFromJSON(fromTokenizer, 'the starting checkpoint tokenizer.json'));
}

/** A tokenizer for the config trained on `texts` (described by `what` in the note), saved as RUN_DIR/tokenizer.json. */
export function trainRunTokenizer(config: ModelConfig, what: string, texts: readonly string[], runDir: string, note: (line: string) => void = () => {}): Tokenizer {
  note(`training a ${config.model_type === 'bert' ? 'WordPiece' : 'byte-level BPE'} tokenizer (vocabulary ${'vocab_size' in config ? config.vocab_size : '?'}) on ${what} (once; saved as ${join(runDir, 'tokenizer.json')})`);
  return savedTokenizer(runDir, trainTokenizer(config, texts));
}

function savedTokenizer(runDir: string, tokenizer: Tokenizer): Tokenizer {
  fs.mkdirSync(runDir, { recursive: true });
  saveTokenizer(join(runDir, 'tokenizer.json'), tokenizer);
  return tokenizer;
}

function trainTokenizer(config: ModelConfig, texts: readonly string[]): Tokenizer {
  switch (config.model_type) {
    case 'bert':
      return trainWordPiece(texts, { vocabSize: config.vocab_size });
    case 'roberta':
      return trainByteLevelBPE(texts, { vocabSize: config.vocab_size, specials: ROBERTA_SPECIALS });
    case 'gpt2':
    case 'llama':
    case 'qwen2':
      return trainByteLevelBPE(texts, { vocabSize: config.vocab_size, specials: GPT2_SPECIALS });
    default:
      throw new Error(`${config.model_type} models take images, not a tokenizer`);
  }
}

/** Throws when token ids or special tokens do not fit the config. */
export function checkTokenizerFits(config: ModelConfig, tokenizer: Tokenizer): void {
  if (isImageModel(config)) return;
  if (tokenizer.vocabSize > config.vocab_size) throw new Error(`the tokenizer has ${tokenizer.vocabSize} tokens but the config's vocab_size is ${config.vocab_size}: use a config with vocab_size >= ${tokenizer.vocabSize}`);
  if (isBertModel(config) && bertHead(config) === 'masked-lm' && tokenizer.special.mask === undefined) throw new Error(`masked LM needs a tokenizer with a mask token; this ${tokenizer.kind} tokenizer has none`);
  if (config.model_type === 'roberta' && tokenizer.special.pad !== config.pad_token_id) throw new Error(`roberta: the tokenizer's pad id ${tokenizer.special.pad} differs from the config's pad_token_id ${config.pad_token_id}`);
}

/** The task for a text corpus (a built-in one, tokenised into RUN_DIR/token-cache, or a user's, prepared): masked LM (BERT, RoBERTa) or causal LM (GPT-2); `signal` stops the tokenising. */
export function corpusTask(config: ModelConfig, data: CorpusName | PreparedCorpus, tokenizer: Tokenizer, runDir: string, shape: BatchShape, note: (line: string) => void = () => {}, signal?: AbortSignal): TaskFactory {
  return textTask({
    kind: isCausalLm(config) ? 'causal-lm' : 'masked-lm',
    ...(typeof data === 'string' ? builtInShards(data, tokenizer, runDir, note, signal) : { train: data.train, validation: data.validation }),
    tokenizer,
    ...shape,
  });
}

/** `signal` stops the tokenising (throwing its reason; nothing is cached). */
function builtInShards(data: CorpusName, tokenizer: Tokenizer, runDir: string, note: (line: string) => void, signal?: AbortSignal): { train: TokenShards; validation: TokenShards } {
  const split = splitDocuments(loadCorpus(data));
  const cache = join(runDir, 'token-cache');
  if (!fs.existsSync(cache)) note(`tokenising ${data} (${split.train.length + split.validation.length} documents; cached in ${cache})`);
  const opts = signal ? { signal } : {};
  return { train: buildTokenShards(split.train, tokenizer, cache, opts), validation: buildTokenShards(split.validation, tokenizer, cache, opts) };
}

/** The task for MNIST or Fashion-MNIST: training split to train, test split to validate. */
export function imageDataTask(data: ImageDatasetName, shape: BatchShape): TaskFactory {
  return imageTask({ train: loadMnist(data, 'train'), validation: loadMnist(data, 'test'), batchSize: shape.batchSize, seed: shape.seed, evalBatches: shape.evalBatches });
}

/** Brown genre classification: each document's pieces of at most shape.seqLen tokens, labelled with its genre. */
export function brownGenreTask(tokenizer: Tokenizer, shape: BatchShape): TaskFactory {
  const dataset = brownGenreDataset(tokenizer, { maxLength: shape.seqLen });
  return sequenceClassificationTask({ dataset, tokenizer, ...shape });
}
