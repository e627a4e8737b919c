// The engine's public surface: tensors, autodiff, ops (and the op codes kernels take), randomness and backend selection.

export * from './tensor.ts';
export * from './autograd.ts';
export * from './device.ts';
export * from './rng.ts';
export * from './ops/elementwise.ts';
export * from './ops/reduce.ts';
export * from './ops/shape.ts';
export * from './ops/matmul.ts';
export * from './ops/fused.ts';
export { BinaryOp, UnaryOp, type AttentionDims, type Backend, type FloatArray, type MatmulArgs } from './backend.ts';
