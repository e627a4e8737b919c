// Token dropping (Hou et al., ACL 2022, "Token Dropping for Efficient BERT Pretraining"), for
// BERT/RoBERTa masked LM: the first half of the layers and the last layer process every token,
// the middle layers (models/bert.ts tokenDropMiddle) only the kept ones; a dropped token skips
// them and rejoins at the last layer with the state it had before them.
//
// Which tokens a sequence keeps, K of its T positions, K = round(keepRatio * T) (raised, for the
// whole micro-batch, to the largest number of must-keep positions of any of its sequences, so
// those are never dropped):
//   1. every masked position (one with an MLM target) and every special token ([CLS], [SEP], ...);
//   2. then the rest, most important first; padding last. Importance of a token is the running
//      average MLM loss of its id: TokenImportance, an exponential moving average (beta 0.995)
//      of the loss each time the id is a target, 10 for ids never predicted yet (so unseen ids
//      count as hard): the official implementation's TokenImportanceWithMovingAvg with its
//      defaults (tensorflow/models official/projects/token_dropping: token_loss_beta 0.995,
//      token_loss_init_value 10; it keeps special tokens and always drops [PAD] the same way).
//      Ties (e.g. ids not predicted yet) are broken by a counter hash of (seed, update,
//      micro-batch, position), not by position, so early training does not keep the start of
//      every window.
// The importance table is training state: saved in every checkpoint (TrainState.tokenImportance),
// so a resumed run keeps exactly the tokens the uninterrupted one does. The losses that update it
// come from the micro-batch's own logits (no extra forward pass: tensor crossEntropyRows), folded
// in after each micro-batch.
//
// Departures from the official code: always keeping every masked position (it keeps the [MASK]
// id, not the 10% of targets left unchanged or replaced), and no transition layer (in the
// official encoder the first middle layer lets the kept tokens attend to all tokens).

import { crossEntropyRows, hash32, tensor, type Tensor } from '../tensor/index.ts';
import { bertHead, dims, tokenDropMiddle, type ModelConfig, type TextBatch } from '../models/index.ts';
import { IGNORE_INDEX } from '../data/index.ts';
import type { MicroBatch } from './tasks.ts';

export interface TokenDropSpec {
  /** Share of each sequence's positions the middle layers process, in (0, 1]. */
  keepRatio: number;
}

export const TOKEN_DROP_DEFAULTS: TokenDropSpec = { keepRatio: 0.5 };

const IMPORTANCE_BETA = 0.995;
const UNSEEN_LOSS = 10;
/** Stream tag of the tie-breaking hashes under the run seed (see layer-drop.ts for the others). */
const TOKEN_DROP_STREAM = 5;

/** Throws a one-line error when token dropping cannot apply to this model or ratio. */
export function checkTokenDrop(config: ModelConfig, s: TokenDropSpec): void {
  if (!(s.keepRatio > 0 && s.keepRatio <= 1)) throw new RangeError(`token dropping: the keep ratio must be in (0, 1], got ${s.keepRatio}`);
  const mlm = (config.model_type === 'bert' || config.model_type === 'roberta') && bertHead(config) === 'masked-lm';
  if (!mlm) throw new RangeError(`token dropping trains a BERT or RoBERTa masked LM, but the model is ${config.model_type} ${config.architectures?.[0] ?? ''}`.trimEnd());
  const layers = dims(config).layers;
  const middle = tokenDropMiddle(layers);
  if (middle.start === middle.end) throw new RangeError(`token dropping needs at least 3 layers (the middle ones drop tokens), but the model has ${layers}`);
}

/** The running average MLM loss of every token id (the paper's cumulative-loss importance). */
export class TokenImportance {
  private constructor(private readonly loss: Float64Array) {}

  static fresh(vocabSize: number): TokenImportance {
    return new TokenImportance(new Float64Array(vocabSize).fill(UNSEEN_LOSS));
  }

  static fromState(state: readonly number[], vocabSize: number): TokenImportance {
    if (state.length !== vocabSize) throw new RangeError(`token importance: the checkpoint has ${state.length} entries for a vocabulary of ${vocabSize}`);
    return new TokenImportance(Float64Array.from(state));
  }

  /** For a checkpoint (JSON numbers: float64, exact). */
  state(): number[] {
    return Array.from(this.loss);
  }

  of(id: number): number {
    return this.loss[id]!;
  }

  /** Folds in the cross-entropy of every target of logits [..., V] (targets: logits' shape without V), in order. */
  update(logits: Tensor, targets: Tensor): void {
    const losses = crossEntropyRows(logits, targets, IGNORE_INDEX).f;
    targets.i.forEach((y, r) => {
      if (y !== IGNORE_INDEX) this.loss[y] = IMPORTANCE_BETA * this.loss[y]! + (1 - IMPORTANCE_BETA) * losses[r]!;
    });
  }
}

/** Where a keep choice is made: the run seed, update and micro-batch (tie-breaking hashes). */
export interface DrawSite {
  seed: number;
  step: number;
  micro: number;
}

/**
 * The positions each sequence of a masked-LM micro-batch keeps: int32 [B, K], ascending per
 * sequence (see the header for the order of preference).
 */
export function keptPositions(mb: MicroBatch, importance: TokenImportance, keepRatio: number, specialIds: readonly number[], site: DrawSite): Tensor {
  const batch = mb.batch as TextBatch;
  const [B, Tn] = batch.inputIds.shape as [number, number];
  const ids = batch.inputIds.i;
  const targets = mb.targets.i;
  const real = batch.attentionMask?.i;
  const specials = new Set(specialIds);
  const priority = Array.from({ length: B * Tn }, (_, k) => (real && real[k] === 0 ? -Infinity : targets[k] !== IGNORE_INDEX || specials.has(ids[k]!) ? Infinity : importance.of(ids[k]!)));
  let K = Math.min(Tn, Math.max(1, Math.round(keepRatio * Tn)));
  for (let b = 0; b < B; b++) K = Math.max(K, priority.slice(b * Tn, (b + 1) * Tn).filter((p) => p === Infinity).length);
  const base = hash32(hash32(hash32(site.seed, TOKEN_DROP_STREAM), site.step), site.micro);
  const out = new Int32Array(B * K);
  for (let b = 0; b < B; b++) {
    const ranked = Array.from({ length: Tn }, (_, t) => ({ t, p: priority[b * Tn + t]!, tie: hash32(base, b * Tn + t) }));
    ranked.sort((u, v) => (u.p === v.p ? u.tie - v.tie || u.t - v.t : v.p - u.p));
    out.set(ranked.slice(0, K).map((r) => r.t).sort((u, v) => u - v), b * K);
  }
  return tensor(out, [B, K], 'int32');
}
