// The operator's own batches (LiGO options batchSize / seqLen), cut from the batches it is given
// (GrowContext.batches, usually the large model's training batches): each operator step takes
// the next given batches until it has `batchSize` examples (the first ones kept, the rest of the
// last batch unused) and keeps the first `seqLen` positions of every per-token field (text
// batches: token ids, attention mask, token types, per-token labels). With neither set the given
// batches are used as they come. Call the returned function inside a tidy scope: the cut tensors
// come from the pool.

import * as T from '../../tensor/index.ts';
import type { Batch, ImageBatch, TextBatch } from '../../models/index.ts';
import type { Tensor } from '../../tensor/index.ts';
import { GrowError } from '../structure.ts';

export interface BatchCut {
  batchSize: number | null;
  seqLen: number | null;
}

/** Examples and sequence length of a batch, for FLOPs (ViT's sequence comes from its config: 0). */
export function batchShape(batch: Batch): { batchSize: number; seqLen: number } {
  if ('inputIds' in batch) return { batchSize: batch.inputIds.shape[0]!, seqLen: batch.inputIds.shape[1]! };
  return { batchSize: batch.pixelValues.shape[0]!, seqLen: 0 };
}

/** step -> the operator's batch for that step, drawn from `given` in order. */
export function operatorBatches(given: (step: number) => Batch, cut: BatchCut): (step: number) => Batch {
  if (cut.batchSize === null && cut.seqLen === null) return given;
  let next = 0;
  return () => {
    const parts = [given(next++)];
    const want = cut.batchSize ?? batchShape(parts[0]!).batchSize;
    while (parts.reduce((n, b) => n + batchShape(b).batchSize, 0) < want) parts.push(given(next++));
    return cutBatch(parts, want, cut.seqLen);
  };
}

function cutBatch(parts: Batch[], rows: number, seqLen: number | null): Batch {
  const first = parts[0]!;
  if (!('inputIds' in first)) {
    if (seqLen !== null) throw new GrowError('ligo: option seqLen applies to text batches; image batches have no sequence to cut');
    const images = parts as ImageBatch[];
    return { pixelValues: takeRows(images.map((b) => b.pixelValues), rows), ...(first.labels ? { labels: takeRows(images.map((b) => b.labels!), rows) } : {}) };
  }
  const texts = parts as TextBatch[];
  const given = Math.min(...texts.map((b) => b.inputIds.shape[1]!));
  if (seqLen !== null && seqLen > Math.max(...texts.map((b) => b.inputIds.shape[1]!))) throw new GrowError(`ligo: option seqLen ${seqLen} is longer than the batches given (${given} tokens); use at most ${given}, or give longer batches`);
  const length = Math.min(seqLen ?? given, given);
  const field = (k: 'inputIds' | 'attentionMask' | 'tokenTypeIds' | 'labels') => {
    const ts = texts.map((b) => b[k]);
    if (ts.some((t) => !t)) return {};
    return { [k]: takeRows(ts.map((t) => (t!.rank === 2 ? T.slice(t!, 1, 0, length) : t!)), rows) };
  };
  return { inputIds: takeRows(texts.map((b) => T.slice(b.inputIds, 1, 0, length)), rows), ...field('attentionMask'), ...field('tokenTypeIds'), ...field('labels') } as TextBatch;
}

/** The first `rows` rows of the tensors stacked along axis 0. */
function takeRows(ts: Tensor[], rows: number): Tensor {
  const all = ts.length === 1 ? ts[0]! : T.concat(ts, 0);
  return all.shape[0] === rows ? all : T.slice(all, 0, 0, rows);
}
