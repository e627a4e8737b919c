// Reading tokenizer.json fields with one-line errors: "<source>: <field> ...; expected ...".
// Shared by the loaders (load.ts, load-sentencepiece.ts).

import { splitRegex } from './pre-tokenizers.ts';

export type Json = Record<string, unknown>;

const MAX_ID = 0x7fffffff;

/**
 * Errors stay on one line and short: tokens may contain line breaks or be megabytes long (both
 * found by test/fuzz.test.ts). `quote` shows a token; `oneLine` escapes any line break left.
 */
export function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

export function oneLine(message: string): string {
  return message.replace(/[\n\r\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Field checks that throw "<source>: <field> ...; expected ...". */
export class Reader {
  constructor(readonly source: string) {}

  fail(message: string): never {
    throw new Error(oneLine(`${this.source}: ${message}`));
  }

  object(v: unknown, field: string): Json {
    return isObject(v) ? v : this.fail(`${field} must be an object`);
  }

  bool(v: unknown, field: string, fallback: boolean): boolean {
    if (v === undefined || v === null) return fallback;
    return typeof v === 'boolean' ? v : this.fail(`${field} must be true or false`);
  }

  string(v: unknown, field: string, fallback: string): string {
    if (v === undefined || v === null) return fallback;
    return typeof v === 'string' ? v : this.fail(`${field} must be a string`);
  }

  id(v: unknown, field: string): number {
    // At most int32's maximum: token ids travel in Int32Arrays. Any integer used to pass; an id of
    // 2^32 - 1 or more is no array index, so vocabSize did not cover it, BPE's vocabulary-size
    // check let it through and its pair keys (left * 2^21 + right) lost precision, and encode()
    // looped forever on a false match (found by test/fuzz.test.ts).
    return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_ID ? (v as number) : this.fail(`${field} must be a non-negative integer id below 2^31`);
  }

  /** A non-negative integer (a count, not an id). */
  count(v: unknown, field: string): number {
    return Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : this.fail(`${field} must be a non-negative integer`);
  }

  /** A string of exactly one character (a Rust char: one code point). */
  char(v: unknown, field: string): string {
    return typeof v === 'string' && [...v].length === 1 ? v : this.fail(`${field} must be a string of one character`);
  }

  /** A Split or Replace pattern, {"Regex": "..."} (Oniguruma syntax) or {"String": "..."}, as a JavaScript regular expression (flags gu). */
  pattern(v: unknown, field: string): RegExp {
    const pattern = this.object(v, field);
    const text = pattern.Regex ?? pattern.String;
    if (typeof text !== 'string') this.fail(`${field} must be {"Regex": "..."} or {"String": "..."}`);
    try {
      return splitRegex(pattern.Regex !== undefined ? { Regex: text } : { String: text });
    } catch (e) {
      return this.fail(`${field} ${quote(text)} cannot run as a JavaScript regular expression (${(e as Error).message}); expected Oniguruma syntax that JavaScript shares (scoped (?i:...) groups are rewritten)`);
    }
  }

  /** The section's "type", checked against the supported ones (null allowed when listed). */
  type(section: unknown, field: string, supported: (string | null)[]): string | null {
    const expected = supported.map((s) => (s === null ? 'null' : s)).join(' or ');
    if (section === null || section === undefined) return supported.includes(null) ? null : this.fail(`${field} is missing; expected ${expected}`);
    const type = isObject(section) ? section.type : undefined;
    if (typeof type !== 'string') this.fail(`${field} has no "type"; expected ${expected}`);
    return supported.includes(type) ? type : this.fail(`${field} type ${quote(type)} is not supported; expected ${expected}`);
  }
}
