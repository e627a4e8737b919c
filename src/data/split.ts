// Deterministic train/validation split at the document level. A document is in validation when
// a hash of its id falls below the validation fraction, so the split depends on neither order
// nor randomness: the same document is always on the same side, adding documents never moves
// others, and a smaller fraction's validation set is contained in a larger one's. Validation
// documents must never reach tokenizer or model training.

import { createHash } from 'node:crypto';

export const DEFAULT_VALIDATION_FRACTION = 0.05;

export interface Split<T> {
  train: T[];
  validation: T[];
}

/** A number in [0, 1) from the first 32 bits of sha256(id): stable across runs, platforms and versions. */
export function idHashUnit(id: string): number {
  return createHash('sha256').update(id, 'utf8').digest().readUInt32BE(0) / 4294967296;
}

export function isValidation(id: string, validationFraction = DEFAULT_VALIDATION_FRACTION): boolean {
  return idHashUnit(id) < validationFraction;
}

export function splitDocuments<T extends { id: string }>(docs: readonly T[], opts: { validationFraction?: number } = {}): Split<T> {
  const fraction = opts.validationFraction ?? DEFAULT_VALIDATION_FRACTION;
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`splitDocuments: validationFraction must be in [0, 1), got ${fraction}`);
  const out: Split<T> = { train: [], validation: [] };
  for (const d of docs) (isValidation(d.id, fraction) ? out.validation : out.train).push(d);
  return out;
}
