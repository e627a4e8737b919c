// Elementwise ops: broadcasting add/sub/mul/div, the unary functions (exp, log, sqrt, rsqrt,
// tanh, erf, pow, GELU in erf and tanh forms, SiLU, ...), where, and seeded dropout.

import { BinaryOp, UnaryOp } from '../backend.ts';
import { record } from '../autograd.ts';
import { getBackend } from '../device.ts';
import { Tensor, empty, zeros } from '../tensor.ts';
import { broadcastShapes, broadcastStrides, requireFloat } from './shape-util.ts';
import { expand, sumTo } from './shape.ts';

const binaryNames = ['add', 'sub', 'mul', 'div'] as const;

function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const name = binaryNames[op];
  requireFloat(name, a, b);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const out = empty(shape, a.dtype);
  const rank = Math.max(shape.length, 1);
  const s = shape.length === 0 ? [1] : shape;
  const as = shape.length === 0 ? Int32Array.of(1) : broadcastStrides(a.shape, shape);
  const bs = shape.length === 0 ? Int32Array.of(1) : broadcastStrides(b.shape, shape);
  if (rank > 8) throw new RangeError(`${name}: rank ${rank} exceeds the engine's limit of 8`);
  getBackend().binary(op, a.f, as, b.f, bs, out.f, Int32Array.from(s));
  return out;
}

export function add(a: Tensor, b: Tensor): Tensor {
  return record(binaryRaw(BinaryOp.Add, a, b), 'add', [a, b], (gy) => [sumTo(gy, a.shape), sumTo(gy, b.shape)], []);
}

export function sub(a: Tensor, b: Tensor): Tensor {
  return record(binaryRaw(BinaryOp.Sub, a, b), 'sub', [a, b], (gy) => [sumTo(gy, a.shape), neg(sumTo(gy, b.shape))], []);
}

export function mul(a: Tensor, b: Tensor): Tensor {
  return record(binaryRaw(BinaryOp.Mul, a, b), 'mul', [a, b], (gy) => [sumTo(mul(gy, b), a.shape), sumTo(mul(gy, a), b.shape)]);
}

export function div(a: Tensor, b: Tensor): Tensor {
  const out = binaryRaw(BinaryOp.Div, a, b);
  return record(out, 'div', [a, b], (gy) => [sumTo(div(gy, b), a.shape), neg(sumTo(div(mul(gy, out), b), b.shape))]);
}

function unaryOp(name: string, op: UnaryOp, x: Tensor, param = 0): Tensor {
  requireFloat(name, x);
  const be = getBackend();
  const out = empty(x.shape, x.dtype);
  be.unary(op, x.f, out.f, param);
  return record(out, name, [x], (gy) => {
    const gx = empty(x.shape, x.dtype);
    be.unaryBackward(op, x.f, out.f, gy.f, gx.f, param);
    return [gx];
  });
}

export const exp = (x: Tensor) => unaryOp('exp', UnaryOp.Exp, x);
export const log = (x: Tensor) => unaryOp('log', UnaryOp.Log, x);
export const sqrt = (x: Tensor) => unaryOp('sqrt', UnaryOp.Sqrt, x);
export const rsqrt = (x: Tensor) => unaryOp('rsqrt', UnaryOp.Rsqrt, x);
export const tanh = (x: Tensor) => unaryOp('tanh', UnaryOp.Tanh, x);
export const erf = (x: Tensor) => unaryOp('erf', UnaryOp.Erf, x);
export const neg = (x: Tensor) => unaryOp('neg', UnaryOp.Neg, x);
export const relu = (x: Tensor) => unaryOp('relu', UnaryOp.Relu, x);
/** SiLU (swish): x * sigmoid(x), Llama's feed-forward activation. */
export const silu = (x: Tensor) => unaryOp('silu', UnaryOp.Silu, x);
export const pow = (x: Tensor, exponent: number) => unaryOp('pow', UnaryOp.Pow, x, exponent);
export const scale = (x: Tensor, factor: number) => unaryOp('scale', UnaryOp.Scale, x, factor);
export const addScalar = (x: Tensor, value: number) => unaryOp('addScalar', UnaryOp.AddScalar, x, value);

/** GELU: 'erf' is the exact form (BERT, ViT); 'tanh' the approximation (GPT-2's gelu_new). */
export function gelu(x: Tensor, form: 'erf' | 'tanh' = 'erf'): Tensor {
  return form === 'erf' ? unaryOp('gelu', UnaryOp.GeluErf, x) : unaryOp('gelu_tanh', UnaryOp.GeluTanh, x);
}

/** cond ? a : b with broadcasting; cond is any tensor (nonzero = true), never differentiated. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  requireFloat('where', a, b);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
  const c = expand(cond, shape);
  const ae = expand(a, shape);
  const bx = expand(b, shape);
  const out = empty(shape, a.dtype);
  getBackend().where(c.data, ae.f, bx.f, out.f);
  return record(out, 'where', [a, b], (gy) => {
    const z = zeros(shape, gy.dtype);
    return [sumTo(where(c, gy, z), a.shape), sumTo(where(c, z, gy), b.shape)];
  });
}

/**
 * Inverted dropout with probability p: element i is kept iff hashUniform(seed, i) >= p and then
 * scaled by 1/(1-p). Identity when p is 0. The caller supplies a fresh seed per call. The mask is
 * a function of (seed, i), so the backward pass regenerates it instead of keeping it.
 */
export function dropout(x: Tensor, p: number, seed: number): Tensor {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
  if (p === 0) return x;
  requireFloat('dropout', x);
  const be = getBackend();
  const masked = (v: Tensor): Tensor => {
    const out = empty(v.shape, v.dtype);
    be.dropoutMask(seed, p, out.f);
    be.binary(BinaryOp.Mul, out.f, unitStride, v.f, unitStride, out.f, Int32Array.of(v.size));
    return out;
  };
  return record(masked(x), 'dropout', [x], (gy) => [masked(gy)], []);
}

const unitStride = Int32Array.of(1);

