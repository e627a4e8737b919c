// What the WordPiece and the two BPE tokenizers (byte-level, SentencePiece-style) share, in the
// order HuggingFace tokenizers runs an encoding: split off added tokens in the raw text, normalise
// the rest, split off added tokens matched after normalisation, pre-tokenise into words, run the
// model on each word. Also the id <-> token tables (added tokens take precedence, as in HF) and
// the added_tokens JSON.

import { AddedTokenSplitter, specialIdsOf, type AddedToken } from './added-tokens.ts';
import type { SpecialIds, Tokenizer, TokenizerKind } from './types.ts';

export abstract class BaseTokenizer implements Tokenizer {
  abstract readonly kind: TokenizerKind;
  readonly vocabSize: number;
  readonly special: SpecialIds;
  protected readonly vocab: ReadonlyMap<string, number>;
  protected readonly addedTokens: readonly AddedToken[];
  private readonly tokens: (string | undefined)[] = [];
  private readonly added: Map<string, number>;
  private rawSplitter?: AddedTokenSplitter;
  private normalizedSplitter?: AddedTokenSplitter;
  private decodingForms?: Map<number, string>;

  /** `vocab` is the model's token -> id table; `addedTokens` come on top (usually repeating the specials). */
  constructor(vocab: ReadonlyMap<string, number>, addedTokens: readonly AddedToken[]) {
    this.vocab = vocab;
    this.addedTokens = [...addedTokens].sort((a, b) => a.id - b.id);
    this.added = new Map(this.addedTokens.map((t) => [t.content, t.id]));
    for (const [token, id] of vocab) this.tokens[id] = token;
    for (const t of this.addedTokens) this.tokens[t.id] = t.content;
    this.vocabSize = this.tokens.length;
    this.special = specialIdsOf(this.addedTokens);
  }

  /** The text normalizer (identity when the tokenizer has none). */
  protected abstract normalize(text: string): string;
  /** Words of a normalised piece of text; `atStart`: the piece begins the text (nothing, not even an added token, comes before it). */
  protected abstract preTokenize(text: string, atStart: boolean): string[];
  /** Appends the ids of one word. */
  protected abstract encodeWord(word: string, out: number[]): void;
  /** Text of a token sequence (specials included as written). */
  protected abstract decodeTokens(tokens: string[]): string;
  abstract toJSON(): unknown;

  encode(text: string): number[] {
    const ids: number[] = [];
    this.rawSplitter ??= new AddedTokenSplitter(this.addedTokens.filter((t) => !t.normalized).map((t) => [t.content, t] as const));
    this.normalizedSplitter ??= new AddedTokenSplitter(
      this.addedTokens.filter((t) => t.normalized).map((t) => [this.normalize(t.content), t] as const),
    );
    let atStart = true;
    for (const raw of this.rawSplitter.split(text)) {
      const pieces = typeof raw === 'string' ? this.normalizedSplitter.split(this.normalize(raw)) : [raw];
      for (const piece of pieces) {
        if (typeof piece !== 'string') ids.push(piece.id);
        else for (const word of this.preTokenize(piece, atStart)) this.encodeWord(word, ids);
        atStart = false;
      }
    }
    return ids;
  }

  /**
   * Ids with no token are skipped, as HuggingFace does. An added token matched in the normalised
   * text reaches the decoder in its normalised form, as in HF tokenizers 0.23 (added_vocabulary.rs
   * simple_id_to_token): Llama 2's normalised "Ishmael" decodes as "▁Ishmael", a space.
   */
  decode(ids: readonly number[]): string {
    this.decodingForms ??= new Map(this.addedTokens.filter((t) => t.normalized).map((t) => [t.id, this.normalize(t.content)]));
    const tokens: string[] = [];
    for (const id of ids) {
      const token = this.decodingForms.get(id) ?? this.tokens[id];
      if (token !== undefined) tokens.push(token);
    }
    return this.decodeTokens(tokens);
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  tokenToId(token: string): number | undefined {
    return this.added.get(token) ?? this.vocab.get(token);
  }

  /** The model vocabulary as tokenizer.json writes it: { token: id } in id order. */
  protected vocabJSON(): Record<string, number> {
    const entries = [...this.vocab].sort((a, b) => a[1] - b[1]);
    return Object.fromEntries(entries);
  }

  protected addedTokensJSON(): AddedToken[] {
    return this.addedTokens.map((t) => ({ ...t }));
  }
}
