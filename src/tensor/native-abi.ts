// The native boundary, declared once: every function the C++ addon (native/src/addon.cc)
// exports, with its parameters in call order as `name:kind` and its result, and the op enums its
// `op:int` parameters take (NATIVE_OP_ENUMS: backend.ts's UnaryOp, BinaryOp, ReduceOp, an op's
// code being its value). From these
//   - the TypeScript type of the addon is derived (NativeAddon below), and the compiler checks it
//     against the Backend interface wherever native.ts passes an addon function straight through;
//   - the addon checks them at load: native.ts hands them to the addon's `declare`, which
//     compares them with the parameter list each C++ binding reads (kBindings in addon.cc) and
//     with the op lists of native/src/kernels.h (LIGO_UNARY_OPS, ...), and throws on any
//     difference, so a mismatch fails loudly instead of reading wrong arguments or running the
//     wrong op.
// The C++ bindings read their arguments by these names, never by position.
//
// Kinds: f32 (Float32Array), f32? (Float32Array or null), i32 (Int32Array), i32? (Int32Array or
// null), f32|i32 (either), num (any number), int (an integer), size (a non-negative integer),
// u32, bool.

import { BinaryOp, ReduceOp, UnaryOp, type FloatArray } from './backend.ts';

export const NATIVE_FUNCTIONS = {
  fill: { args: ['out:f32', 'value:num'], returns: 'void' },
  matmul: {
    args: ['a:f32', 'b:f32', 'c:f32', 'batch:size', 'm:size', 'n:size', 'k:size', 'transA:bool', 'transB:bool', 'strideA:size', 'strideB:size', 'strideC:size', 'alpha:num', 'beta:num', 'bias:f32?'],
    returns: 'void',
  },
  unary: { args: ['op:int', 'x:f32', 'out:f32', 'param:num'], returns: 'void' },
  unaryBackward: { args: ['op:int', 'x:f32', 'y:f32', 'gy:f32', 'gx:f32', 'param:num'], returns: 'void' },
  binary: { args: ['op:int', 'a:f32', 'aStrides:i32', 'b:f32', 'bStrides:i32', 'out:f32', 'shape:i32'], returns: 'void' },
  where: { args: ['cond:f32|i32', 'a:f32', 'b:f32', 'out:f32'], returns: 'void' },
  reduce: { args: ['op:int', 'x:f32', 'outer:size', 'r:size', 'inner:size', 'out:f32'], returns: 'void' },
  reduceMaxBackward: { args: ['x:f32', 'y:f32', 'gy:f32', 'outer:size', 'r:size', 'inner:size', 'gx:f32'], returns: 'void' },
  copyStrided: {
    args: ['src:f32|i32', 'srcOffset:int', 'srcStrides:i32', 'dst:f32|i32', 'dstOffset:int', 'dstStrides:i32', 'shape:i32', 'accumulate:bool'],
    returns: 'void',
  },
  softmax: { args: ['x:f32', 'rows:size', 'cols:size', 'out:f32', 'log:bool'], returns: 'void' },
  softmaxBackward: { args: ['y:f32', 'gy:f32', 'rows:size', 'cols:size', 'gx:f32', 'log:bool'], returns: 'void' },
  attention: {
    args: ['q:f32', 'qOffset:size', 'qRowStride:size', 'k:f32', 'kOffset:size', 'kRowStride:size', 'v:f32', 'vOffset:size', 'vRowStride:size', 'keyMask:i32?', 'p:f32', 'out:f32', 'batch:size', 'heads:size', 'kvHeads:size', 'tq:size', 'tk:size', 'd:size', 'scale:num', 'causal:bool'],
    returns: 'void',
  },
  attentionBackward: {
    args: ['q:f32', 'qOffset:size', 'qRowStride:size', 'k:f32', 'kOffset:size', 'kRowStride:size', 'v:f32', 'vOffset:size', 'vRowStride:size', 'p:f32', 'gout:f32', 'gq:f32', 'gk:f32', 'gv:f32', 'batch:size', 'heads:size', 'kvHeads:size', 'tq:size', 'tk:size', 'd:size', 'scale:num', 'causal:bool'],
    returns: 'void',
  },
  layerNorm: {
    args: ['x:f32', 'gamma:f32', 'beta:f32', 'rows:size', 'cols:size', 'eps:num', 'out:f32', 'mean:f32', 'rstd:f32'],
    returns: 'void',
  },
  layerNormBackward: {
    args: ['x:f32', 'gamma:f32', 'mean:f32', 'rstd:f32', 'gy:f32', 'rows:size', 'cols:size', 'gx:f32', 'ggamma:f32', 'gbeta:f32'],
    returns: 'void',
  },
  rmsNorm: { args: ['x:f32', 'gamma:f32', 'rows:size', 'cols:size', 'eps:num', 'out:f32', 'rstd:f32'], returns: 'void' },
  rmsNormBackward: { args: ['x:f32', 'gamma:f32', 'rstd:f32', 'gy:f32', 'rows:size', 'cols:size', 'gx:f32', 'ggamma:f32'], returns: 'void' },
  rotary: { args: ['x:f32', 'cos:f32', 'sin:f32', 'batch:size', 't:size', 'heads:size', 'd:size', 'out:f32', 'backward:bool'], returns: 'void' },
  gather: { args: ['table:f32', 'vocab:size', 'cols:size', 'ids:i32', 'out:f32'], returns: 'void' },
  scatterAdd: { args: ['gy:f32', 'ids:i32', 'cols:size', 'gtable:f32'], returns: 'void' },
  crossEntropy: { args: ['logits:f32', 'targets:i32', 'rows:size', 'cols:size', 'ignoreIndex:int', 'lse:f32'], returns: 'number' },
  crossEntropyBackward: {
    args: ['logits:f32', 'targets:i32', 'lse:f32', 'rows:size', 'cols:size', 'ignoreIndex:int', 'scale:num', 'gx:f32'],
    returns: 'void',
  },
  dropoutMask: { args: ['seed:u32', 'p:num', 'out:f32'], returns: 'void' },
  sumSquares: { args: ['x:f32'], returns: 'number' },
  adamw: {
    args: ['p:f32', 'g:f32', 'm:f32', 'v:f32', 'lr:num', 'beta1:num', 'beta2:num', 'eps:num', 'weightDecay:num', 'step:num', 'gradScale:num'],
    returns: 'void',
  },
  /** A zeroed ArrayBuffer of `bytes` over its own 2 MiB-aligned mapping, huge pages advised. */
  allocBuffer: { args: ['bytes:size'], returns: 'arraybuffer' },
  /** OpenMP threads the kernels use (OMP_NUM_THREADS, else the core count). */
  numThreads: { args: [], returns: 'number' },
  /** The widest vector the kernels use on this CPU, in bits (peak.cc). */
  peakVectorBits: { args: [], returns: 'number' },
  /** One core's measured fp32 FMA rate with `bits`-wide vectors (256 or 512; 0 where the CPU lacks them), GFLOP/s (`iters` rounds of 12 vector FMAs). */
  peakGflopsAt: { args: ['bits:size', 'iters:size'], returns: 'number' },
} as const;

export type NativeFunctionName = keyof typeof NATIVE_FUNCTIONS;

/** The TypeScript type of each argument kind. */
interface KindTypes {
  f32: FloatArray; // a Float64Array is rejected at run time with a TypeError naming the argument
  i32: Int32Array;
  'f32?': FloatArray | null;
  'i32?': Int32Array | null;
  'f32|i32': FloatArray | Int32Array;
  num: number;
  int: number;
  size: number;
  u32: number;
  bool: boolean;
}

type ArgType<S> = S extends `${string}:${infer K extends keyof KindTypes}` ? KindTypes[K] : never;
type ArgTypes<A> = { -readonly [I in keyof A]: ArgType<A[I]> };
type ReturnKind<R> = R extends 'number' ? number : R extends 'arraybuffer' ? ArrayBuffer : void;

/** The addon's exports, typed from NATIVE_FUNCTIONS. */
export type NativeAddon = {
  [F in NativeFunctionName]: (...args: ArgTypes<(typeof NATIVE_FUNCTIONS)[F]['args']>) => ReturnKind<(typeof NATIVE_FUNCTIONS)[F]['returns']>;
} & {
  /** Checks nativeSignatures() against the C++ bindings and op lists; throws an Error naming every difference on one line. */
  declare(signatures: Record<string, string>): void;
};

/** One function's declaration as the addon's `declare` reads it: `a:f32 b:f32 -> void`. */
export function signatureText(name: NativeFunctionName): string {
  const f = NATIVE_FUNCTIONS[name];
  return `${f.args.join(' ')} -> ${f.returns}`.trimStart();
}

/** The op enums of the kernels' `op:int` parameters, by the names kernels.h gives their lists. */
export const NATIVE_OP_ENUMS = { UnaryOp, BinaryOp, ReduceOp } as const;

/** An op enum as the addon's `declare` reads it: its names in value order (values 0, 1, 2, ...; a gap reads `undefined`). */
export function opEnumText(e: Record<string, string | number>): string {
  const count = Object.values(e).filter((v) => typeof v === 'number').length;
  return Array.from({ length: count }, (_, code) => String(e[code])).join(' ');
}

/** Every declaration for the addon's `declare`: each function's signature and each op enum's names, by name. */
export function nativeSignatures(): Record<string, string> {
  return {
    ...Object.fromEntries((Object.keys(NATIVE_FUNCTIONS) as NativeFunctionName[]).map((n) => [n, signatureText(n)])),
    ...Object.fromEntries(Object.entries(NATIVE_OP_ENUMS).map(([name, e]) => [name, opEnumText(e)])),
  };
}
