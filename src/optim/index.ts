// The optimizer: AdamW with PyTorch's semantics and state names, below both training and growth
// (LiGO trains its operator with it).

export * from './adamw.ts';
