// Training tasks: where micro-batches come from and what the loss is scored against.
//
// - masked LM (BERT, RoBERTa): windows from a shuffled TokenStream, BERT's 80/10/10 masking drawn
//   dynamically from the task's own RNG (RoBERTa style);
// - causal LM (GPT-2): the same windows, targets = inputs shifted left by one (GPT-2's own
//   shiftLabels, so the loss is exactly the model's);
// - image classification (ViT/DeiT on MNIST, Fashion-MNIST): images in a seeded per-epoch
//   permutation (IndexStream), like TokenStream's windows;
// - sequence classification (BERT/RoBERTa with a classification head, e.g. Brown genres): the
//   dataset's training pieces in a seeded per-epoch permutation, right-padded per batch.
//
// Every task can say where it is (`position()`, JSON) and be created again at that position, so a
// resumed run sees exactly the batches an uninterrupted one would. Validation batches are fixed:
// the first windows (images) of the validation split in order, masked statically (seeded by
// window id, by the experiment's seed rather than each run's when an experiment sets
// validationSeed); for sequence classification, pieces spread evenly over the validation split (which
// is ordered by document, so the first ones would be a few documents of one genre). Every
// evaluation scores the same examples.

import { Rng, collectTensors, hash32, keep, type Tensor } from '../tensor/index.ts';
import { shiftLabels, type Batch } from '../models/index.ts';
import { IGNORE_INDEX, TokenStream, causalLmBatch, classificationBatch, imageBatch, maskedLmBatch, specialIds, type ClassificationDataset, type ClassificationExample, type ImageDataset, type StreamPosition, type TokenShards, type Window } from '../data/index.ts';
import type { Tokenizer } from '../tokenize/index.ts';

export type TaskKind = 'masked-lm' | 'causal-lm' | 'image-classification' | 'sequence-classification';

/** Whether a task's targets are one class per example (validation then reports accuracy too). */
export const isClassificationTask = (kind: TaskKind): boolean => kind === 'image-classification' || kind === 'sequence-classification';

/** One micro-batch: model inputs, the targets for cross-entropy against forward's logits, and how many targets count. */
export interface MicroBatch {
  batch: Batch;
  /** int32, logits' shape without the class axis; IGNORE_INDEX where no loss is taken. */
  targets: Tensor;
  /** Number of targets that are not IGNORE_INDEX (micro-batches are weighted by it). */
  weight: number;
}

export interface Task {
  readonly kind: TaskKind;
  /** Examples per micro-batch. */
  readonly batchSize: number;
  /** Text window length in tokens; 0 for images. */
  readonly seqLen: number;
  /** Masked LM: the tokenizer's special token ids (token dropping always keeps them). */
  readonly specialIds?: readonly number[];
  next(): MicroBatch;
  /** Where the next micro-batch comes from (JSON); pass it to the factory to resume here. */
  position(): unknown;
  /** The fixed validation micro-batches. */
  validation(): MicroBatch[];
  close(): void;
}

/** Creates the task at a saved position, or at the start when position is null. */
export type TaskFactory = (position: unknown | null) => Task;

/** Validation batches are cached for the whole run: keep them out of every tidy scope. */
function kept(batches: MicroBatch[]): MicroBatch[] {
  for (const t of collectTensors(batches.map((b) => [b.batch, b.targets]))) keep(t);
  return batches;
}

function countTargets(targets: Int32Array): number {
  let n = 0;
  for (const t of targets) if (t !== IGNORE_INDEX) n++;
  return n;
}

export interface TextTaskOptions {
  kind: 'masked-lm' | 'causal-lm';
  train: TokenShards;
  validation: TokenShards;
  tokenizer: Tokenizer;
  batchSize: number;
  seqLen: number;
  seed: number;
  /** Seeds the validation batches' static masks (default: seed). An experiment fixes it for all its seeds, so they score one validation set. */
  validationSeed?: number;
  /** Validation micro-batches (fewer when the validation split is smaller). */
  evalBatches: number;
  maskProb?: number;
}

interface TextPosition {
  stream: StreamPosition;
  maskRng: number[];
}

export function textTask(o: TextTaskOptions): TaskFactory {
  return (position) => {
    const saved = position as TextPosition | null;
    const stream = new TokenStream(o.train, { windowLength: o.seqLen, batchSize: o.batchSize, seed: o.seed, ...(saved ? { position: saved.stream } : {}) });
    const maskRng = saved ? Rng.fromState(saved.maskRng) : new Rng(hash32(o.seed, 2));
    const toMicro = (windows: Window[], rng: Rng, masking: 'dynamic' | 'static', maskSeed = o.seed): MicroBatch => {
      if (o.kind === 'causal-lm') {
        const b = causalLmBatch(windows);
        const targets = shiftLabels(b.inputIds);
        return { batch: b, targets, weight: countTargets(targets.i) };
      }
      const b = maskedLmBatch(windows, o.tokenizer, rng, { maskProb: o.maskProb ?? 0.15, masking, seed: maskSeed });
      return { batch: b, targets: b.labels, weight: countTargets(b.labels.i) };
    };
    let validation: MicroBatch[] | null = null;
    return {
      kind: o.kind,
      batchSize: o.batchSize,
      seqLen: o.seqLen,
      ...(o.kind === 'masked-lm' ? { specialIds: [...specialIds(o.tokenizer)] } : {}),
      next: () => toMicro(stream.nextBatch(), maskRng, 'dynamic'),
      position: (): TextPosition => ({ stream: stream.position(), maskRng: maskRng.state() }),
      validation: () => (validation ??= kept(textValidation(o, (ws) => toMicro(ws, maskRng, 'static', o.validationSeed ?? o.seed)))),
      close: () => stream.close(),
    };
  };
}

function textValidation(o: TextTaskOptions, toMicro: (ws: Window[]) => MicroBatch): MicroBatch[] {
  let stream: TokenStream;
  try {
    stream = new TokenStream(o.validation, { windowLength: o.seqLen, batchSize: o.batchSize });
  } catch (e) {
    throw new Error(`validation split: ${(e as Error).message}`);
  }
  try {
    const batches = Math.min(o.evalBatches, Math.floor(stream.windowCount / o.batchSize));
    return Array.from({ length: batches }, (_, k) => toMicro(Array.from({ length: o.batchSize }, (_, j) => stream.window(k * o.batchSize + j))));
  } finally {
    stream.close();
  }
}

/** Indices 0..count-1 in a fresh seeded permutation per epoch; resumable like TokenStream. */
export class IndexStream {
  private epoch: number;
  private index: number;
  private epochRngState: number[];
  private readonly rng: Rng;
  private order: number[];

  constructor(
    private readonly count: number,
    start: StreamPosition,
  ) {
    if (!(start.index >= 0 && start.index < count)) throw new RangeError(`IndexStream: position ${start.index} is outside 0..${count - 1} (saved with another dataset?)`);
    this.epoch = start.epoch;
    this.index = start.index;
    this.epochRngState = [...start.rngState];
    this.rng = Rng.fromState(start.rngState);
    this.order = this.rng.shuffle(Array.from({ length: count }, (_, i) => i));
  }

  static fresh(count: number, seed: number): IndexStream {
    return new IndexStream(count, { epoch: 0, index: 0, rngState: new Rng(seed).state() });
  }

  take(n: number): number[] {
    const out: number[] = [];
    while (out.length < n) {
      out.push(this.order[this.index]!);
      if (++this.index === this.count) {
        this.epoch++;
        this.index = 0;
        this.epochRngState = this.rng.state();
        this.order = this.rng.shuffle(Array.from({ length: this.count }, (_, i) => i));
      }
    }
    return out;
  }

  position(): StreamPosition {
    return { epoch: this.epoch, index: this.index, rngState: [...this.epochRngState] };
  }
}

export interface ImageTaskOptions {
  train: ImageDataset;
  validation: ImageDataset;
  batchSize: number;
  seed: number;
  evalBatches: number;
  /** Random shifts of up to 2 pixels (imageBatch's augmentation). */
  augment?: boolean;
}

interface ImagePosition {
  stream: StreamPosition;
  augmentRng: number[];
}

export function imageTask(o: ImageTaskOptions): TaskFactory {
  return (position) => {
    const saved = position as ImagePosition | null;
    const stream = saved ? new IndexStream(o.train.count, saved.stream) : IndexStream.fresh(o.train.count, o.seed);
    const rng = saved ? Rng.fromState(saved.augmentRng) : new Rng(hash32(o.seed, 3));
    const toMicro = (ds: ImageDataset, indices: number[], augment: boolean): MicroBatch => {
      const b = imageBatch(ds, indices, rng, { augment });
      return { batch: { pixelValues: b.pixels, labels: b.labels }, targets: b.labels, weight: indices.length };
    };
    let validation: MicroBatch[] | null = null;
    const batches = Math.min(o.evalBatches, Math.floor(o.validation.count / o.batchSize));
    return {
      kind: 'image-classification',
      batchSize: o.batchSize,
      seqLen: 0,
      next: () => toMicro(o.train, stream.take(o.batchSize), o.augment ?? false),
      position: (): ImagePosition => ({ stream: stream.position(), augmentRng: rng.state() }),
      validation: () => (validation ??= kept(Array.from({ length: batches }, (_, k) => toMicro(o.validation, Array.from({ length: o.batchSize }, (_, j) => k * o.batchSize + j), false)))),
      close: () => undefined,
    };
  };
}

export interface SequenceClassificationTaskOptions {
  /** Training and validation examples (e.g. brownGenreDataset), already tokenized and labelled. */
  dataset: ClassificationDataset;
  /** Its padding id (classificationBatch pads with tokenizer.special.pad). */
  tokenizer: Tokenizer;
  batchSize: number;
  /** The longest example in tokens (the dataset's maxLength); batches are padded to their longest. */
  seqLen: number;
  seed: number;
  /** Validation micro-batches (fewer when the validation split is smaller). */
  evalBatches: number;
}

interface SequenceClassificationPosition {
  stream: StreamPosition;
}

export function sequenceClassificationTask(o: SequenceClassificationTaskOptions): TaskFactory {
  const { train, validation: val } = o.dataset;
  if (train.length === 0) throw new Error('sequence classification: the training split has no examples');
  if (val.length === 0) throw new Error('sequence classification: the validation split has no examples');
  const toMicro = (examples: ClassificationExample[]): MicroBatch => {
    const b = classificationBatch(examples, o.tokenizer);
    return { batch: { inputIds: b.inputIds, attentionMask: b.attentionMask, labels: b.labels }, targets: b.labels, weight: examples.length };
  };
  return (position) => {
    const saved = position as SequenceClassificationPosition | null;
    const stream = saved ? new IndexStream(train.length, saved.stream) : IndexStream.fresh(train.length, o.seed);
    let validation: MicroBatch[] | null = null;
    return {
      kind: 'sequence-classification',
      batchSize: o.batchSize,
      seqLen: o.seqLen,
      next: () => toMicro(stream.take(o.batchSize).map((i) => train[i]!)),
      position: (): SequenceClassificationPosition => ({ stream: stream.position() }),
      validation: () => (validation ??= kept(spreadBatches(val, o.batchSize, o.evalBatches).map(toMicro))),
      close: () => undefined,
    };
  };
}

/** Up to `batches` batches of `size` examples taken at even strides over `examples` (all of them when fewer). */
function spreadBatches<E>(examples: readonly E[], size: number, batches: number): E[][] {
  const n = Math.min(examples.length, size * batches);
  const picked = Array.from({ length: n }, (_, k) => examples[Math.floor((k * examples.length) / n)]!);
  return Array.from({ length: Math.ceil(n / size) }, (_, b) => picked.slice(b * size, (b + 1) * size));
}
