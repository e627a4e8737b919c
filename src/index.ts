// The package entry: `import { ... } from 'ligo'`. One deliberate surface, layer by layer (each
// layer's own index file is its public surface; docs/design.md describes the layers):
//
//   models       configs, presets, modelFor(config): init, forward, loss, flatten, paramsFromFlat
//   growth       getMethod(name).grow(...), the method registry, structure tables, LiGO
//   training     train(spec), AdamW, schedules, tasks, objectives, run logs, efficient training
//   checkpoints  saveCheckpoint / loadCheckpoint (HF directory layout), safetensors
//   tokenizers   WordPiece and byte-level BPE (train, load, save); SentencePiece-converted BPE (load, save)
//   data         corpora, token shards, MLM / causal / classification / image batches
//   experiments  spec parsing and the resumable runner; reports (savings, tables, plots)
//   FLOPs        training FLOPs in the ELECTRA and 6N conventions (docs/growth.md)
//   tensor engine  the namespace `T` (every op, autodiff, backends), and its core names flat:
//                Tensor, tensor, Rng, valueAndGrad, tidy, getBackend, setBackend, withBackend
//
// Importing the package selects no backend: the first op picks native when the addon is built,
// else the reference backend (LIGO_BACKEND=reference|native forces one).

export * from './models/index.ts';
export * from './grow/index.ts';
export * from './train/index.ts';
export * from './data/index.ts';
// Both layers name a type ImageBatch: the model's input (pixelValues) is the one exported flat; the
// data layer's (pixels, from imageBatch()) keeps its place as ImageDataBatch.
export type { ImageBatch } from './models/index.ts';
export type { ImageBatch as ImageDataBatch } from './data/index.ts';
export * from './tokenize/index.ts';
export { CONFIG_FILE, CheckpointError, MODEL_FILE, TOKENIZER_FILE, loadCheckpoint, readSafetensors, saveCheckpoint, writeSafetensors, type CheckpointContents, type LoadedCheckpoint, type SafetensorsContents } from './io/index.ts';
export * from './experiment/index.ts';
export * from './report/index.ts';
export * from './flops.ts';
export * as T from './tensor/index.ts';
export { Rng, Tensor, getBackend, setBackend, tensor, tidy, valueAndGrad, withBackend, type Backend, type DType } from './tensor/index.ts';
