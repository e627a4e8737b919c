// Language-modelling batches from token windows.
//
// maskedLmBatch follows BERT: in each sequence, round(maskProb * n) of its n non-special tokens
// (at least one) are chosen for prediction; each chosen token becomes the mask token with
// probability 0.8, a random non-special token with 0.1, and stays unchanged with 0.1. Labels hold
// the original id at chosen positions and IGNORE_INDEX (-100) elsewhere; the attention mask is 0
// only on padding tokens. Masking is
//   'dynamic' (RoBERTa, the default): drawn from the caller's rng each time a window is served;
//   'static' (BERT): drawn from a generator seeded by (seed, window id), so a window gets the same
//     mask every time it is served, whatever the batch it is in and whatever rng is passed.
// Validation batches are deterministic when built with 'static' masking.
//
// causalLmBatch returns labels equal to the inputs: the model shifts them itself, HuggingFace
// style (the logits at position t are scored against labels[t + 1]), so no position is lost here.

import { Rng, hash32, tensor, type Tensor } from '../tensor/index.ts';
import type { Tokenizer } from '../tokenize/index.ts';
import type { Window } from './stream.ts';

export const IGNORE_INDEX = -100;

export type Masking = 'dynamic' | 'static';

export interface MaskedLmOptions {
  maskProb?: number;
  masking?: Masking;
  /** Seed of static masks (ignored for dynamic masking). */
  seed?: number;
}

export interface MaskedLmBatch {
  inputIds: Tensor;
  labels: Tensor;
  attentionMask: Tensor;
}

export interface CausalLmBatch {
  inputIds: Tensor;
  labels: Tensor;
}

export function maskedLmBatch(windows: readonly Window[], tokenizer: Tokenizer, rng: Rng, opts: MaskedLmOptions = {}): MaskedLmBatch {
  const maskProb = opts.maskProb ?? 0.15;
  if (!(maskProb > 0 && maskProb <= 1)) throw new RangeError(`maskedLmBatch: maskProb must be in (0, 1], got ${maskProb}`);
  const maskId = tokenizer.special.mask;
  if (maskId === undefined) throw new Error(`tokenizer (${tokenizer.kind}) has no mask token: masked LM needs a BERT or RoBERTa tokenizer`);
  const [B, T] = batchShape(windows);
  const specials = specialIds(tokenizer);
  const inputIds = new Int32Array(B * T);
  const labels = new Int32Array(B * T).fill(IGNORE_INDEX);
  const attention = new Int32Array(B * T);
  windows.forEach((w, b) => {
    const r = opts.masking === 'static' ? new Rng(hash32(opts.seed ?? 0, w.id)) : rng;
    const row = { input: inputIds.subarray(b * T, (b + 1) * T), labels: labels.subarray(b * T, (b + 1) * T) };
    row.input.set(w.tokens);
    maskSequence(row.input, row.labels, { maskId, maskProb, specials, vocabSize: tokenizer.vocabSize }, r);
    for (let t = 0; t < T; t++) attention[b * T + t] = w.tokens[t] === tokenizer.special.pad ? 0 : 1;
  });
  return { inputIds: tensor(inputIds, [B, T], 'int32'), labels: tensor(labels, [B, T], 'int32'), attentionMask: tensor(attention, [B, T], 'int32') };
}

export function causalLmBatch(windows: readonly Window[]): CausalLmBatch {
  const [B, T] = batchShape(windows);
  const ids = new Int32Array(B * T);
  windows.forEach((w, b) => ids.set(w.tokens, b * T));
  return { inputIds: tensor(ids, [B, T], 'int32'), labels: tensor(ids, [B, T], 'int32') };
}

/** The set of the tokenizer's special token ids (never masked, never drawn as random replacements). */
export function specialIds(tokenizer: Tokenizer): Set<number> {
  return new Set(Object.values(tokenizer.special).filter((id): id is number => id !== undefined));
}

interface MaskSpec {
  maskId: number;
  maskProb: number;
  specials: Set<number>;
  vocabSize: number;
}

/** Applies BERT's 80/10/10 rule in place to one sequence (input ids and labels of equal length). */
function maskSequence(input: Int32Array, labels: Int32Array, spec: MaskSpec, rng: Rng): void {
  const candidates: number[] = [];
  for (let t = 0; t < input.length; t++) if (!spec.specials.has(input[t]!)) candidates.push(t);
  if (candidates.length === 0) return;
  const k = Math.max(1, Math.round(spec.maskProb * candidates.length));
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(candidates.length - i);
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
    const t = candidates[i]!;
    labels[t] = input[t]!;
    const u = rng.uniform();
    if (u < 0.8) input[t] = spec.maskId;
    else if (u < 0.9) input[t] = randomNonSpecial(spec, rng);
  }
}

function randomNonSpecial(spec: MaskSpec, rng: Rng): number {
  if (spec.specials.size >= spec.vocabSize) throw new Error('masked LM: every token in the vocabulary is special');
  for (;;) {
    const id = rng.int(spec.vocabSize);
    if (!spec.specials.has(id)) return id;
  }
}

function batchShape(windows: readonly Window[]): [number, number] {
  if (windows.length === 0) throw new RangeError('batch: no windows');
  const T = windows[0]!.tokens.length;
  const odd = windows.find((w) => w.tokens.length !== T);
  if (odd) throw new RangeError(`batch: windows must have equal lengths, got ${T} and ${odd.tokens.length}`);
  return [windows.length, T];
}
