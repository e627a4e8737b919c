// The tokenizer package: WordPiece (BERT) and byte-level BPE (GPT-2, RoBERTa) tokenizers, their
// trainers, pretrained vocabularies, SentencePiece-style BPE (Llama 2, Mistral; read from files
// only), and HuggingFace tokenizer.json reading and writing.

export type { SpecialIds, Tokenizer, TokenizerKind } from './types.ts';
export { BERT_SPECIALS, GPT2_SPECIALS, ROBERTA_SPECIALS, type AddedToken } from './added-tokens.ts';
export { WordPieceTokenizer, type WordPieceConfig } from './wordpiece.ts';
export { ByteLevelBPETokenizer, type ByteLevelBPEConfig } from './bpe.ts';
export { SentencePieceBPETokenizer, type SentencePieceBPEConfig } from './sentencepiece-bpe.ts';
export { trainWordPiece, type WordPieceTrainOptions } from './train-wordpiece.ts';
export { trainByteLevelBPE, type ByteLevelBPETrainOptions } from './train-bpe.ts';
export { loadTokenizer, saveTokenizer, tokenizerFromJSON } from './load.ts';
export { pretrainedTokenizer, type PretrainedName } from './pretrained.ts';
