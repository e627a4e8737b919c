// Data pipelines: text corpora and their train/validation split, a user's own files (text,
// JSON Lines, Parquet, gzip) streamed into the token cache, the cache and its resumable window
// stream, masked/causal LM batches, Brown genre classification, and MNIST-style image datasets.

export * from './corpus.ts';
export * from './split.ts';
export * from './shards.ts';
export * from './files.ts';
export * from './own-corpus.ts';
export * from './stream.ts';
export * from './mlm.ts';
export * from './classification.ts';
export * from './idx.ts';
export * from './images.ts';
