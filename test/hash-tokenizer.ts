// A tiny tokenizer test double for the data tests (test/data.test.ts, test/own-data.test.ts):
// words -> ids by a string hash, so data tests do not depend on src/tokenize's trained tokenizers.

import type { SpecialIds, Tokenizer } from '../src/tokenize/types.ts';

/** Words -> ids by a string hash; ids 0-4 are pad, unk, cls, sep, mask (or no mask). */
export class HashTokenizer implements Tokenizer {
  readonly kind = 'wordpiece' as const;
  readonly special: SpecialIds;

  constructor(
    readonly vocabSize = 1000,
    withMask = true,
  ) {
    this.special = { pad: 0, unk: 1, cls: 2, sep: 3, ...(withMask ? { mask: 4 } : {}) };
  }

  encode(text: string): number[] {
    return text
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => {
        let h = 7;
        for (const c of w.toLowerCase()) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
        return 5 + (h % (this.vocabSize - 5));
      });
  }
  decode(ids: readonly number[]): string {
    return ids.join(' ');
  }
  idToToken(id: number): string {
    return String(id);
  }
  tokenToId(): number | undefined {
    return undefined;
  }
  toJSON(): unknown {
    return { test: 'hash', vocabSize: this.vocabSize };
  }
}
