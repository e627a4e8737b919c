import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as R, erf, maskedSoftmax } from '../src/tensor/reference.ts';
import { BinaryOp, ReduceOp, UnaryOp } from '../src/tensor/backend.ts';
import type { MatmulArgs } from '../src/tensor/backend.ts';
import { Rng, hashUniform } from '../src/tensor/rng.ts';

const f64 = (xs: number[]) => Float64Array.from(xs);
const i32 = (xs: number[]) => Int32Array.from(xs);

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12, msg = ''): void {
  assert.equal(actual.length, expected.length, `${msg} length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `${msg}[${i}]: expected NaN, got ${a}`);
      continue;
    }
    if (a === e) continue;
    const err = Math.abs(a - e);
    assert.ok(err <= tol * Math.max(1, Math.abs(e)), `${msg}[${i}]: got ${a}, expected ${e} (err ${err})`);
  }
}

function randn(rng: Rng, n: number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * scale;
  return out;
}

/**
 * Central-difference check of an analytic gradient: `loss(x)` is a scalar function of x (which
 * it may read but must not keep), `grad` the analytic dL/dx. h = 1e-6, relative tolerance 1e-6.
 */
function fdCheck(name: string, x: Float64Array, loss: () => number, grad: ArrayLike<number>, h = 1e-6, tol = 1e-6): void {
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i];
    x[i] = x0 + h;
    const lp = loss();
    x[i] = x0 - h;
    const lm = loss();
    x[i] = x0;
    const num = (lp - lm) / (2 * h);
    const ana = grad[i];
    const err = Math.abs(num - ana);
    assert.ok(err <= tol * (Math.abs(num) + Math.abs(ana)) + 1e-8, `${name}: d/dx[${i}] analytic ${ana} vs numeric ${num} (err ${err})`);
  }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// ---------------------------------------------------------------------------------------------

test('fill', () => {
  const a = new Float32Array(5);
  R.fill(a, 2.5);
  close(a, [2.5, 2.5, 2.5, 2.5, 2.5]);
  assert.equal(R.name, 'reference');
  assert.equal(R.float64, true);
});

// ---------------------------------------------------------------------------------------------
// matmul

const A23 = [1, 2, 3, 4, 5, 6]; // [[1,2,3],[4,5,6]]
const A23T = [1, 4, 2, 5, 3, 6]; // stored [3,2]
const B32 = [7, 8, 9, 10, 11, 12]; // [[7,8],[9,10],[11,12]]
const B32T = [7, 9, 11, 8, 10, 12]; // stored [2,3]
const C22 = [58, 64, 139, 154];

function mmArgs(over: Partial<MatmulArgs>): MatmulArgs {
  return { batch: 1, m: 2, n: 2, k: 3, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, alpha: 1, beta: 0, ...over };
}

test('matmul 2x3 @ 3x2 with every transpose combination', () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const Arr of [Float64Array, Float32Array]) {
        const a = Arr.from(transA ? A23T : A23);
        const b = Arr.from(transB ? B32T : B32);
        const c = new Arr(4).fill(NaN); // beta = 0: C must never be read
        R.matmul(a, b, c, mmArgs({ transA, transB }));
        close(c, C22, 0, `transA=${transA} transB=${transB} ${Arr.name}`);
      }
    }
  }
});

test('matmul alpha, beta and batch with broadcast strides', () => {
  const c = f64([1, 1, 1, 1]);
  R.matmul(f64(A23), f64(B32), c, mmArgs({ alpha: 2, beta: 1 }));
  close(c, [117, 129, 279, 309]);
  const c2 = f64([1, 2, 3, 4]);
  R.matmul(f64(A23), f64(B32), c2, mmArgs({ alpha: 1, beta: -0.5 }));
  close(c2, [57.5, 63, 137.5, 152]);
  // batch 2: A batched (second = 2 * first), B broadcast (stride 0).
  const a = f64([...A23, ...A23.map((v) => 2 * v)]);
  const out = new Float64Array(8);
  R.matmul(a, f64(B32), out, mmArgs({ batch: 2, strideA: 6, strideB: 0, strideC: 4 }));
  close(out, [...C22, ...C22.map((v) => 2 * v)]);
  // k = 0: C = beta * C.
  const c3 = f64([3, 4]);
  R.matmul(new Float64Array(0), new Float64Array(0), c3, mmArgs({ m: 1, n: 2, k: 0, beta: 1 }));
  close(c3, [3, 4]);
  // A bias is added to every row, after alpha, with or without beta; with k = 0 C is beta C + bias.
  const c4 = new Float64Array(4).fill(NaN);
  R.matmul(f64(A23), f64(B32), c4, mmArgs({ alpha: 2, bias: f64([0.5, -1]) }));
  close(c4, [116.5, 127, 278.5, 307]);
  const c5 = f64([1, 1, 1, 1]);
  R.matmul(f64(A23), f64(B32), c5, mmArgs({ beta: 1, bias: f64([0.5, -1]) }));
  close(c5, [59.5, 64, 140.5, 154]);
  const c6 = f64([3, 4]);
  R.matmul(new Float64Array(0), new Float64Array(0), c6, mmArgs({ m: 1, n: 2, k: 0, beta: 1, bias: f64([1, 2]) }));
  close(c6, [4, 6]);
  assert.throws(() => R.matmul(f64(A23), f64(B32), new Float64Array(4), mmArgs({ batch: 2, strideA: 6, bias: f64([1, 2]) })), /bias needs a C per batch item/);
});

test('matmul matches a naive triple loop on random shapes', () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 24; trial++) {
    const batch = 1 + rng.int(3);
    const m = 1 + rng.int(9);
    const n = 1 + rng.int(9);
    const k = 1 + rng.int(9);
    const transA = rng.int(2) === 1;
    const transB = rng.int(2) === 1;
    const bcastB = rng.int(2) === 1;
    const a = randn(rng, batch * m * k);
    const b = randn(rng, (bcastB ? 1 : batch) * k * n);
    const c0 = randn(rng, batch * m * n);
    const alpha = 0.5 + rng.uniform();
    const beta = rng.int(3) * 0.5;
    const args: MatmulArgs = { batch, m, n, k, transA, transB, strideA: m * k, strideB: bcastB ? 0 : k * n, strideC: m * n, alpha, beta };
    const c = Float64Array.from(c0);
    R.matmul(a, b, c, args);
    const want = new Float64Array(batch * m * n);
    for (let t = 0; t < batch; t++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) {
            const av = transA ? a[t * m * k + p * m + i] : a[t * m * k + i * k + p];
            const bo = bcastB ? 0 : t * k * n;
            const bv = transB ? b[bo + j * k + p] : b[bo + p * n + j];
            s += av * bv;
          }
          const ci = t * m * n + i * n + j;
          want[ci] = alpha * s + beta * c0[ci];
        }
      }
    }
    close(c, want, 1e-12, `trial ${trial}`);
    // float32 agrees to float32 precision
    const c32 = Float32Array.from(c0);
    R.matmul(Float32Array.from(a), Float32Array.from(b), c32, args);
    close(c32, want, 1e-5, `f32 trial ${trial}`);
  }
});

// ---------------------------------------------------------------------------------------------
// unary

test('erf at known points to 1e-12 in float64', () => {
  const known: [number, number][] = [
    [0, 0],
    [1e-10, 1.1283791670955126e-10],
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [-0.7, -0.6778011938374184],
    [1, 0.8427007929497149],
    [1.5, 0.9661051464753108],
    [2, 0.9953222650189527],
    [3, 0.9999779095030014],
    [4.5, 0.9999999998033839],
    [10, 1],
    [Infinity, 1],
    [-Infinity, -1],
  ];
  for (const [x, e] of known) {
    const r = erf(x);
    assert.ok(Math.abs(r - e) <= 1e-12 * Math.abs(e) + 1e-300, `erf(${x}) = ${r}, expected ${e}`);
    assert.equal(erf(-x), -r, `erf is odd at ${x}`);
  }
  assert.ok(Number.isNaN(erf(NaN)));
  const out = new Float64Array(3);
  R.unary(UnaryOp.Erf, f64([0.5, 1, 2]), out, 0);
  close(out, [0.5204998778130465, 0.8427007929497149, 0.9953222650189527], 1e-15);
});

test('unary ops at known points', () => {
  const x = f64([-2, -0.5, 0, 0.5, 3]);
  const xp = f64([0.25, 1, 4]);
  const run = (op: UnaryOp, input: Float64Array, param = 0) => {
    const out = new Float64Array(input.length);
    R.unary(op, input, out, param);
    return out;
  };
  close(run(UnaryOp.Exp, x), [...x].map(Math.exp));
  close(run(UnaryOp.Log, xp), [Math.log(0.25), 0, Math.log(4)]);
  close(run(UnaryOp.Sqrt, xp), [0.5, 1, 2]);
  close(run(UnaryOp.Rsqrt, xp), [2, 1, 0.5]);
  close(run(UnaryOp.Tanh, x), [...x].map(Math.tanh));
  close(run(UnaryOp.Neg, x), [2, 0.5, -0, -0.5, -3]);
  close(run(UnaryOp.Relu, x), [0, 0, 0, 0.5, 3]);
  close(run(UnaryOp.Pow, xp, 2), [0.0625, 1, 16]);
  close(run(UnaryOp.Pow, xp, -0.5), [2, 1, 0.5]);
  close(run(UnaryOp.Scale, x, 3), [-6, -1.5, 0, 1.5, 9]);
  close(run(UnaryOp.AddScalar, x, 1), [-1, 0.5, 1, 1.5, 4]);
  // GELU(erf): x * Phi(x); Phi(1) = 0.8413447460685429
  close(run(UnaryOp.GeluErf, f64([1, -1, 0])), [0.8413447460685429, -0.15865525393145707, 0], 1e-14);
  // GELU(tanh) at 1: 0.5 * (1 + tanh(sqrt(2/pi) * 1.044715))
  close(run(UnaryOp.GeluTanh, f64([1, 0])), [0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * 1.044715)), 0]);
  // SiLU: x * sigmoid(x); sigmoid(1) = 0.7310585786300049; no overflow to NaN in the tails
  close(run(UnaryOp.Silu, f64([1, -1, 0, 800, -800])), [0.7310585786300049, -0.2689414213699951, 0, 800, 0], 1e-15);
  // in place
  const y = f64([1, 4]);
  R.unary(UnaryOp.Sqrt, y, y, 0);
  close(y, [1, 2]);
  // float32 in, float32 out
  const y32 = new Float32Array(2);
  R.unary(UnaryOp.Exp, Float32Array.from([0, 1]), y32, 0);
  close(y32, [1, Math.fround(Math.E)], 0);
});

test('unaryBackward matches central finite differences in float64', () => {
  const rng = new Rng(11);
  const general = f64([-2.3, -1.1, -0.4, 0.3, 0.9, 1.7, 2.6]);
  const positive = f64([0.2, 0.5, 1.3, 2.2, 3.1]);
  const cases: [string, UnaryOp, Float64Array, number][] = [
    ['exp', UnaryOp.Exp, general, 0],
    ['log', UnaryOp.Log, positive, 0],
    ['sqrt', UnaryOp.Sqrt, positive, 0],
    ['rsqrt', UnaryOp.Rsqrt, positive, 0],
    ['tanh', UnaryOp.Tanh, general, 0],
    ['erf', UnaryOp.Erf, general, 0],
    ['neg', UnaryOp.Neg, general, 0],
    ['geluErf', UnaryOp.GeluErf, general, 0],
    ['geluTanh', UnaryOp.GeluTanh, general, 0],
    ['pow3', UnaryOp.Pow, general, 3],
    ['pow0.5', UnaryOp.Pow, positive, 0.5],
    ['pow-1.5', UnaryOp.Pow, positive, -1.5],
    ['pow0', UnaryOp.Pow, general, 0],
    ['scale', UnaryOp.Scale, general, -1.7],
    ['addScalar', UnaryOp.AddScalar, general, 0.3],
    ['relu', UnaryOp.Relu, general, 0],
    ['silu', UnaryOp.Silu, general, 0],
  ];
  for (const [name, op, x0, param] of cases) {
    const x = Float64Array.from(x0);
    const n = x.length;
    const w = randn(rng, n);
    const y = new Float64Array(n);
    const loss = () => {
      R.unary(op, x, y, param);
      return dot(w, y);
    };
    R.unary(op, x, y, param);
    const gx = new Float64Array(n);
    R.unaryBackward(op, x, y, w, gx, param);
    fdCheck(name, x, loss, gx);
    // gx may alias gy
    const g2 = Float64Array.from(w);
    R.unary(op, x, y, param);
    R.unaryBackward(op, x, y, g2, g2, param);
    close(g2, gx, 0, `${name} aliased`);
  }
});

// ---------------------------------------------------------------------------------------------
// binary / where

test('binary: contiguous ops, broadcasts and in place', () => {
  const a = f64([1, 2, 3, 4, 5, 6]);
  const b = f64([10, 20, 30, 40, 50, 60]);
  const shape = i32([2, 3]);
  const cs = i32([3, 1]);
  const out = new Float64Array(6);
  R.binary(BinaryOp.Add, a, cs, b, cs, out, shape);
  close(out, [11, 22, 33, 44, 55, 66]);
  R.binary(BinaryOp.Sub, a, cs, b, cs, out, shape);
  close(out, [-9, -18, -27, -36, -45, -54]);
  R.binary(BinaryOp.Mul, a, cs, b, cs, out, shape);
  close(out, [10, 40, 90, 160, 250, 360]);
  R.binary(BinaryOp.Div, b, cs, a, cs, out, shape);
  close(out, [10, 10, 10, 10, 10, 10]);
  // [2,3] + [3] (row broadcast)
  R.binary(BinaryOp.Add, a, cs, f64([100, 200, 300]), i32([0, 1]), out, shape);
  close(out, [101, 202, 303, 104, 205, 306]);
  // [2,3] * [2,1] (column broadcast)
  R.binary(BinaryOp.Mul, a, cs, f64([1, -1]), i32([1, 0]), out, shape);
  close(out, [1, 2, 3, -4, -5, -6]);
  // scalar - [2,3]
  R.binary(BinaryOp.Sub, f64([1]), i32([0, 0]), a, cs, out, shape);
  close(out, [0, -1, -2, -3, -4, -5]);
  // [2,1] + [1,3] outer sum
  R.binary(BinaryOp.Add, f64([0, 10]), i32([1, 0]), f64([1, 2, 3]), i32([0, 1]), out, shape);
  close(out, [1, 2, 3, 11, 12, 13]);
  // a read transposed: a stored [3,2], viewed [2,3] with strides [1,2]
  R.binary(BinaryOp.Add, f64([1, 4, 2, 5, 3, 6]), i32([1, 2]), f64([0, 0, 0, 0, 0, 0]), cs, out, shape);
  close(out, [1, 2, 3, 4, 5, 6]);
  // in place, out aliases a
  const c = Float64Array.from(a);
  R.binary(BinaryOp.Mul, c, cs, c, cs, c, shape);
  close(c, [1, 4, 9, 16, 25, 36]);
  // float32
  const o32 = new Float32Array(6);
  R.binary(BinaryOp.Div, Float32Array.from(a), cs, Float32Array.from([3]), i32([0, 0]), o32, shape);
  close(o32, [...a].map((v) => Math.fround(v / 3)), 0);
});

test('binary matches naive N-d indexing with random broadcasts', () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 40; trial++) {
    const rank = 1 + rng.int(5);
    const shape = new Int32Array(rank);
    for (let d = 0; d < rank; d++) shape[d] = 1 + rng.int(4);
    const mk = () => {
      // a random broadcast of shape, stored contiguously in its own (reduced) shape, possibly permuted
      const own = Array.from(shape, (s) => (rng.int(3) === 0 ? 1 : s));
      const perm = Array.from({ length: rank }, (_, i) => i);
      rng.shuffle(perm);
      const strides = new Int32Array(rank);
      let s = 1;
      for (let q = rank - 1; q >= 0; q--) {
        const d = perm[q];
        strides[d] = own[d] === 1 ? 0 : s;
        s *= own[d];
      }
      return { data: randn(rng, s), strides };
    };
    const A = mk();
    const B = mk();
    const total = shape.reduce((p, v) => p * v, 1);
    const op = rng.int(4) as BinaryOp;
    const out = new Float64Array(total);
    R.binary(op, A.data, A.strides, B.data, B.strides, out, shape);
    const idx = new Array(rank).fill(0);
    for (let flat = 0; flat < total; flat++) {
      let rem = flat;
      for (let d = rank - 1; d >= 0; d--) {
        idx[d] = rem % shape[d];
        rem = Math.floor(rem / shape[d]);
      }
      let ia = 0;
      let ib = 0;
      for (let d = 0; d < rank; d++) {
        ia += idx[d] * A.strides[d];
        ib += idx[d] * B.strides[d];
      }
      const x = A.data[ia];
      const y = B.data[ib];
      const want = op === BinaryOp.Add ? x + y : op === BinaryOp.Sub ? x - y : op === BinaryOp.Mul ? x * y : x / y;
      assert.equal(out[flat], want, `trial ${trial} flat ${flat}`);
    }
  }
});

test('where with float and int conditions', () => {
  const out = new Float64Array(4);
  R.where(i32([1, 0, -3, 0]), f64([1, 2, 3, 4]), f64([10, 20, 30, 40]), out);
  close(out, [1, 20, 3, 40]);
  R.where(f64([0, 0.5, 0, 1]), f64([1, 2, 3, 4]), f64([10, 20, 30, 40]), out);
  close(out, [10, 2, 30, 4]);
});

// ---------------------------------------------------------------------------------------------
// reduce

test('reduce sum and max over the [outer, r, inner] view', () => {
  // x shape [2, 3, 2]
  const x = f64([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const out = new Float64Array(4);
  R.reduce(ReduceOp.Sum, x, 2, 3, 2, out);
  close(out, [9, 12, 27, 30]);
  R.reduce(ReduceOp.Max, x, 2, 3, 2, out);
  close(out, [5, 6, 11, 12]);
  const rows = new Float64Array(2);
  R.reduce(ReduceOp.Sum, x, 2, 6, 1, rows);
  close(rows, [21, 57]);
  R.reduce(ReduceOp.Max, f64([-5, -1, -3, 2, 0, 1]), 2, 3, 1, rows);
  close(rows, [-1, 2]);
  const all = new Float64Array(1);
  R.reduce(ReduceOp.Sum, x, 1, 12, 1, all);
  close(all, [78]);
  // reduce over the leading axis: outer = 1
  const cols = new Float32Array(3);
  R.reduce(ReduceOp.Sum, Float32Array.from([1, 2, 3, 4, 5, 6]), 1, 2, 3, cols);
  close(cols, [5, 7, 9], 0);
  // NaN propagates through max
  R.reduce(ReduceOp.Max, f64([1, NaN, 3]), 1, 3, 1, all);
  assert.ok(Number.isNaN(all[0]));
});

test('reduceMaxBackward routes the gradient to the first maximum', () => {
  // x [1, 4, 2]; column 0 has a tie at j = 1 and j = 3
  const x = f64([1, 9, 5, 2, 3, 4, 5, 0]);
  const y = new Float64Array(2);
  R.reduce(ReduceOp.Max, x, 1, 4, 2, y);
  close(y, [5, 9]);
  const gx = new Float64Array(8).fill(NaN);
  R.reduceMaxBackward(x, y, f64([10, 20]), 1, 4, 2, gx);
  close(gx, [0, 20, 10, 0, 0, 0, 0, 0]);
  const g1 = new Float64Array(6);
  R.reduceMaxBackward(f64([3, 7, 7, 1, 1, 0]), f64([7, 1]), f64([1, 2]), 2, 3, 1, g1);
  close(g1, [0, 1, 0, 2, 0, 0]);
});

// ---------------------------------------------------------------------------------------------
// copyStrided

test('copyStrided: transpose, slice, pad, expand-backward and int32', () => {
  // transpose [2,3] -> [3,2]: iterate the destination shape, read the source transposed
  const src = f64([1, 2, 3, 4, 5, 6]);
  const t = new Float64Array(6);
  R.copyStrided(src, { offset: 0, strides: i32([1, 3]) }, t, { offset: 0, strides: i32([2, 1]) }, i32([3, 2]), false);
  close(t, [1, 4, 2, 5, 3, 6]);
  // slice rows 1..3, cols 2..4 of a [4,5]
  const m = Float64Array.from({ length: 20 }, (_, i) => i);
  const s = new Float64Array(4);
  R.copyStrided(m, { offset: 1 * 5 + 2, strides: i32([5, 1]) }, s, { offset: 0, strides: i32([2, 1]) }, i32([2, 2]), false);
  close(s, [7, 8, 12, 13]);
  // pad: write a [2,2] into the middle of a zeroed [4,4]
  const p = new Float32Array(16);
  R.copyStrided(Float32Array.from([1, 2, 3, 4]), { offset: 0, strides: i32([2, 1]) }, p, { offset: 5, strides: i32([4, 1]) }, i32([2, 2]), false);
  close(p, [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0], 0);
  // expand backward: sum a [3,2] gradient into a [1,2] with accumulate and dst stride 0
  const g = f64([1, 2]);
  R.copyStrided(src, { offset: 0, strides: i32([2, 1]) }, g, { offset: 0, strides: i32([0, 1]) }, i32([3, 2]), true);
  close(g, [1 + 1 + 3 + 5, 2 + 2 + 4 + 6]);
  // Int32Array, rank 3 permute [2,2,2] -> axes (2,0,1)
  const xi = i32([0, 1, 2, 3, 4, 5, 6, 7]);
  const yi = new Int32Array(8);
  // y[a,b,c] = x[b,c,a]; x strides [4,2,1] so along y's axes: [1,4,2]
  R.copyStrided(xi, { offset: 0, strides: i32([1, 4, 2]) }, yi, { offset: 0, strides: i32([4, 2, 1]) }, i32([2, 2, 2]), false);
  assert.deepEqual([...yi], [0, 2, 4, 6, 1, 3, 5, 7]);
  // empty shape: nothing happens
  R.copyStrided(src, { offset: 0, strides: i32([1, 1]) }, t, { offset: 0, strides: i32([1, 1]) }, i32([0, 3]), false);
  close(t, [1, 4, 2, 5, 3, 6]);
});

// ---------------------------------------------------------------------------------------------
// softmax

test('softmax and log-softmax known values, stable for large inputs, in place', () => {
  const want = [0.09003057317038046, 0.24472847105479767, 0.6652409557748219];
  const out = new Float64Array(6);
  R.softmax(f64([1, 2, 3, 1001, 1002, 1003]), 2, 3, out, false);
  close(out, [...want, ...want], 1e-15);
  R.softmax(f64([1, 2, 3, -1000, -999, -998]), 2, 3, out, true);
  close(out, [...want.map(Math.log), ...want.map(Math.log)], 1e-14);
  const x = f64([1, 2, 3]);
  R.softmax(x, 1, 3, x, false);
  close(x, want, 1e-15);
  const y = Float32Array.from([1, 2, 3]);
  R.softmax(y, 1, 3, y, true);
  close(y, want.map((v) => Math.fround(Math.log(v))), 0);
});

test('softmaxBackward matches central finite differences (softmax and log-softmax)', () => {
  const rng = new Rng(5);
  const rows = 3;
  const cols = 5;
  for (const log of [false, true]) {
    const x = randn(rng, rows * cols, 2);
    const w = randn(rng, rows * cols);
    const y = new Float64Array(rows * cols);
    const loss = () => {
      R.softmax(x, rows, cols, y, log);
      return dot(w, y);
    };
    R.softmax(x, rows, cols, y, log);
    const gx = new Float64Array(rows * cols);
    R.softmaxBackward(y, w, rows, cols, gx, log);
    fdCheck(log ? 'logSoftmax' : 'softmax', x, loss, gx);
  }
});

test('maskedSoftmax: scale, causal, key mask, fully masked rows', () => {
  // batch 1, heads 1, tq = tk = 3, all scores 0 -> uniform over the visible keys
  const s = new Float64Array(9);
  maskedSoftmax(s, 1, 1, 3, 3, 1, true, null);
  close(s, [1, 0, 0, 0.5, 0.5, 0, 1 / 3, 1 / 3, 1 / 3], 1e-15);
  // scale: row [0, ln2 / 0.5] * 0.5 -> [1, 2] / 3
  const s2 = f64([0, 2 * Math.LN2]);
  maskedSoftmax(s2, 1, 1, 1, 2, 0.5, false, null);
  close(s2, [1 / 3, 2 / 3], 1e-15);
  // tq < tk (decoding with a cache): query i sees keys j <= i + (tk - tq)
  const s3 = new Float64Array(2 * 4);
  maskedSoftmax(s3, 1, 1, 2, 4, 1, true, null);
  close(s3, [1 / 3, 1 / 3, 1 / 3, 0, 0.25, 0.25, 0.25, 0.25], 1e-15);
  // key mask, batch 2, heads 2, tq 1, tk 3; batch 1 masks every key -> zeros, not NaN
  const s4 = f64([0, Math.LN2, 5, 0, 0, 0, 1, 2, 3, 4, 5, 6]);
  maskedSoftmax(s4, 2, 2, 1, 3, 1, false, i32([1, 1, 0, 0, 0, 0]));
  close(s4, [1 / 3, 2 / 3, 0, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0], 1e-15);
  // causal + key mask: the first query's only visible key is masked -> zero row
  const s5 = f64([7, 7, 1, 2]);
  maskedSoftmax(s5, 1, 1, 2, 2, 1, true, i32([0, 1]));
  close(s5, [0, 0, 0, 1], 0);
  // float32, large scores
  const s6 = Float32Array.from([1000, 1000]);
  maskedSoftmax(s6, 1, 1, 1, 2, 1, false, null);
  close(s6, [0.5, 0.5], 0);
});

// ---------------------------------------------------------------------------------------------
// layerNorm

test('layerNorm of a known row', () => {
  const out = new Float64Array(8);
  const mean = new Float64Array(2);
  const rstd = new Float64Array(2);
  // row 0: [1,2,3,4], eps 0 -> mean 2.5, biased var 1.25
  // row 1: [2,2,2,2] -> var 0, rstd = 1/sqrt(eps) with eps = 0.25 -> 2
  R.layerNorm(f64([1, 2, 3, 4, 2, 2, 2, 2]), f64([1, 1, 1, 1]), f64([0, 0, 0, 0]), 2, 4, 0.25, out, mean, rstd);
  close(mean, [2.5, 2]);
  close(rstd, [1 / Math.sqrt(1.5), 2]);
  close(out, [-1.5, -0.5, 0.5, 1.5].map((v) => v / Math.sqrt(1.5)).concat([0, 0, 0, 0]));
  const o1 = new Float64Array(4);
  R.layerNorm(f64([1, 2, 3, 4]), f64([2, 1, 1, -1]), f64([0, 1, 0, 0.5]), 1, 4, 0, o1, mean, rstd);
  close(o1, [-2 * 1.3416407864998738, 1 - 0.4472135954999579, 0.4472135954999579, 0.5 - 1.3416407864998738], 1e-15);
});

test('layerNormBackward matches central finite differences and accumulates', () => {
  const rng = new Rng(9);
  const rows = 3;
  const cols = 6;
  const eps = 1e-5;
  const x = randn(rng, rows * cols, 1.5);
  const gamma = randn(rng, cols);
  const beta = randn(rng, cols);
  const w = randn(rng, rows * cols);
  const y = new Float64Array(rows * cols);
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  const loss = () => {
    R.layerNorm(x, gamma, beta, rows, cols, eps, y, mean, rstd);
    return dot(w, y);
  };
  loss();
  const gx = new Float64Array(rows * cols);
  const ggamma = f64([1, 1, 1, 1, 1, 1]);
  const gbeta = f64([-1, -1, -1, -1, -1, -1]);
  R.layerNormBackward(x, gamma, mean, rstd, w, rows, cols, gx, ggamma, gbeta);
  for (let j = 0; j < cols; j++) {
    ggamma[j] -= 1;
    gbeta[j] += 1;
  }
  fdCheck('layerNorm dx', x, loss, gx);
  fdCheck('layerNorm dgamma', gamma, loss, ggamma);
  fdCheck('layerNorm dbeta', beta, loss, gbeta);
});

// ---------------------------------------------------------------------------------------------
// gather / scatterAdd

test('gather and scatterAdd', () => {
  const table = f64([0, 1, 10, 11, 20, 21]); // vocab 3, cols 2
  const out = new Float32Array(6);
  R.gather(table, 3, 2, i32([2, 0, 2]), out);
  close(out, [20, 21, 0, 1, 20, 21], 0);
  assert.throws(() => R.gather(table, 3, 2, i32([1, 7]), out), (e: unknown) => e instanceof RangeError && /\b7\b/.test(e.message) && /\b3\b/.test(e.message));
  assert.throws(() => R.gather(table, 3, 2, i32([-1]), out), RangeError);
  const g = f64([1, 1, 1, 1, 1, 1]);
  R.scatterAdd(f64([1, 2, 3, 4, 5, 6]), i32([2, 0, 2]), 2, g);
  close(g, [4, 5, 1, 1, 7, 9]);
});

// ---------------------------------------------------------------------------------------------
// crossEntropy

test('crossEntropy with ignore index; numerically stable', () => {
  const lse = new Float64Array(3);
  const logits = f64([0, 0, 0, 1, 2, 3, 1001, 1002, 1003]);
  const total = R.crossEntropy(logits, i32([1, -100, 2]), 3, 3, -100, lse);
  close([total], [Math.log(3) + 0.40760596444438013], 1e-14);
  close(lse, [Math.log(3), 0, 1003.4076059644444], 1e-15);
  const l2 = new Float32Array(2);
  const t2 = R.crossEntropy(Float32Array.from([1, 2, 3, 1, 2, 3]), i32([2, 0]), 2, 3, -1, l2);
  close([t2], [0.40760596444438013 + 2.40760596444438013], 1e-6);
  assert.throws(() => R.crossEntropy(logits, i32([3, 0, 0]), 3, 3, -100, lse), RangeError);
  const gx = new Float64Array(9).fill(NaN);
  R.crossEntropy(logits, i32([1, -100, 2]), 3, 3, -100, lse);
  R.crossEntropyBackward(logits, i32([1, -100, 2]), lse, 3, 3, -100, 0.5, gx);
  const sm = [0.09003057317038046, 0.24472847105479767, 0.6652409557748219];
  close(gx, [1 / 6, 1 / 6 - 0.5, 1 / 6, 0, 0, 0, 0.5 * sm[0], 0.5 * sm[1], 0.5 * (sm[2] - 1)], 1e-12);
});

test('crossEntropyBackward matches central finite differences', () => {
  const rng = new Rng(13);
  const rows = 4;
  const cols = 5;
  const x = randn(rng, rows * cols, 2);
  const targets = i32([3, -100, 0, 4]);
  const lse = new Float64Array(rows);
  const scale = 1 / 3;
  const loss = () => scale * R.crossEntropy(x, targets, rows, cols, -100, lse);
  loss();
  const gx = new Float64Array(rows * cols);
  R.crossEntropyBackward(x, targets, lse, rows, cols, -100, scale, gx);
  fdCheck('crossEntropy', x, loss, gx);
});

// ---------------------------------------------------------------------------------------------
// dropout, sumSquares, adamw

test('dropoutMask: keep rate near 1 - p, values, determinism', () => {
  const n = 100_000;
  const p = 0.3;
  const a = new Float64Array(n);
  R.dropoutMask(1234, p, a);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    if (a[i] !== 0) {
      kept++;
      assert.equal(a[i], 1 / (1 - p));
    }
    assert.equal(a[i] !== 0, hashUniform(1234, i) >= p);
  }
  assert.ok(Math.abs(kept / n - (1 - p)) < 0.006, `keep rate ${kept / n}`);
  const b = new Float64Array(n);
  R.dropoutMask(1234, p, b);
  assert.deepEqual(b, a);
  const c = new Float64Array(n);
  R.dropoutMask(1235, p, c);
  assert.notDeepEqual(c, a);
  const f = new Float32Array(n);
  R.dropoutMask(1234, p, f);
  for (let i = 0; i < n; i++) assert.equal(f[i], Math.fround(a[i]));
  const ones = new Float32Array(10);
  R.dropoutMask(1, 0, ones);
  close(ones, new Array(10).fill(1), 0);
});

test('sumSquares accumulates in float64 and propagates NaN/Inf', () => {
  const n = 1_000_000;
  const x = new Float32Array(n).fill(0.1);
  const v = Math.fround(0.1);
  close([R.sumSquares(x)], [n * v * v], 1e-9); // float32 accumulation would be off by ~1e-3
  close([R.sumSquares(f64([3, 4]))], [25], 0);
  assert.ok(Number.isNaN(R.sumSquares(f64([1, NaN]))));
  assert.equal(R.sumSquares(f64([1, -Infinity])), Infinity);
});

test('adamw: two steps against the formula', () => {
  const lr = 0.1;
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-8;
  const wd = 0.01;
  const gs = 0.5;
  const p = f64([1, -2]);
  const m = new Float64Array(2);
  const v = new Float64Array(2);
  // step 1: mhat = g, vhat = g^2, so the update is lr * (sign(g) * |g| / (|g| + eps) + wd * p)
  R.adamw(p, f64([1, -0.4]), m, v, lr, b1, b2, eps, wd, 1, gs);
  close(m, [0.05, -0.02], 1e-15);
  close(v, [0.001 * 0.25, 0.001 * 0.04], 1e-15);
  const p1 = [1 - lr * (0.5 / (0.5 + eps) + wd * 1), -2 - lr * (-0.2 / (0.2 + eps) + wd * -2)];
  close(p, p1, 1e-15);
  // step 2 with g = [0.2, 0.2] (scaled 0.1)
  R.adamw(p, f64([0.2, 0.2]), m, v, lr, b1, b2, eps, wd, 2, gs);
  const m2 = [0.9 * 0.05 + 0.1 * 0.1, 0.9 * -0.02 + 0.1 * 0.1];
  const v2 = [0.999 * 0.00025 + 0.001 * 0.01, 0.999 * 0.00004 + 0.001 * 0.01];
  close(m, m2, 1e-15);
  close(v, v2, 1e-15);
  const p2 = p1.map((pi, i) => pi - lr * (m2[i] / (1 - b1 ** 2) / (Math.sqrt(v2[i] / (1 - b2 ** 2)) + eps) + wd * pi));
  close(p, p2, 1e-15);
  // float32 parameters work too
  const p32 = Float32Array.from([1, -2]);
  R.adamw(p32, Float32Array.from([1, -0.4]), new Float32Array(2), new Float32Array(2), lr, b1, b2, eps, wd, 1, gs);
  close(p32, p1.map(Math.fround), 1e-7);
});

// ---------------------------------------------------------------------------------------------
// rmsNorm, rotary, grouped-query attention

test('rmsNorm of a known row, and against the direct formula', () => {
  const out = new Float64Array(8);
  const rstd = new Float64Array(2);
  // row 0: [1, 2, 3, 4], mean square 7.5; row 1: zeros -> rstd = 1 / sqrt(eps) = 2 with eps 0.25
  R.rmsNorm(f64([1, 2, 3, 4, 0, 0, 0, 0]), f64([1, 2, -1, 0.5]), 2, 4, 0.25, out, rstd);
  close(rstd, [1 / Math.sqrt(7.75), 2]);
  close(out, [1, 4, -3, 2].map((v) => v / Math.sqrt(7.75)).concat([0, 0, 0, 0]));
  // weight * (x / sqrt(mean(x^2) + eps)), row by row
  const rng = new Rng(31);
  const [rows, cols, eps] = [7, 13, 1e-6];
  const x = randn(rng, rows * cols, 3);
  const gamma = randn(rng, cols);
  const y = new Float64Array(rows * cols);
  R.rmsNorm(x, gamma, rows, cols, eps, y, new Float64Array(rows));
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * cols, (r + 1) * cols);
    const rms = Math.sqrt(dot(row, row) / cols + eps);
    close(y.subarray(r * cols, (r + 1) * cols), Array.from(row, (v, j) => (gamma[j] * v) / rms), 1e-14, `row ${r}`);
  }
});

test('rmsNormBackward matches central finite differences and accumulates', () => {
  const rng = new Rng(32);
  const [rows, cols, eps] = [3, 6, 1e-5];
  const x = randn(rng, rows * cols, 1.5);
  const gamma = randn(rng, cols);
  const w = randn(rng, rows * cols);
  const y = new Float64Array(rows * cols);
  const rstd = new Float64Array(rows);
  const loss = () => {
    R.rmsNorm(x, gamma, rows, cols, eps, y, rstd);
    return dot(w, y);
  };
  loss();
  const gx = new Float64Array(rows * cols);
  const ggamma = f64([1, 1, 1, 1, 1, 1]);
  R.rmsNormBackward(x, gamma, rstd, w, rows, cols, gx, ggamma);
  for (let j = 0; j < cols; j++) ggamma[j] -= 1;
  fdCheck('rmsNorm dx', x, loss, gx);
  fdCheck('rmsNorm dgamma', gamma, loss, ggamma);
});

test('rotary: a hand-computed case (two heads of 4 at positions 0 and 1), and in place', () => {
  // Position 0: angle 0 (cos 1, sin 0), the identity. Position 1: angles pi/2 and pi/3 for the
  // pairs (0, 2) and (1, 3), as HF's cat(freqs, freqs) tables repeat them.
  const r3 = Math.sqrt(3);
  const cos = f64([1, 1, 1, 1, 0, 0.5, 0, 0.5]);
  const sin = f64([0, 0, 0, 0, 1, r3 / 2, 1, r3 / 2]);
  const x = f64([1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8]); // [1, 2, 2 * 4]
  const out = new Float64Array(16);
  R.rotary(x, cos, sin, 1, 2, 2, 4, out, false);
  // x * cos + (-x2, -x3, x0, x1) * sin per head
  const rotated = [-3, 1 - 2 * r3, 1, 2 + r3, -7, 3 - 4 * r3, 5, 4 + 3 * r3];
  close(out, [1, 2, 3, 4, 5, 6, 7, 8, ...rotated], 1e-15);
  // backward applies the transpose, which for true rotations (each angle in both halves' tables)
  // is the inverse: it undoes the forward
  const back = new Float64Array(16);
  R.rotary(out, cos, sin, 1, 2, 2, 4, back, true);
  close(back, x, 1e-15);
  R.rotary(x, cos, sin, 1, 2, 2, 4, x, false);
  close(x, out, 0, 'in place');
  assert.throws(() => R.rotary(x, cos, sin, 1, 2, 2, 3, x, false), /head size 3 is odd/);
});

test('rotary backward is the transpose of the forward, and matches central finite differences', () => {
  const rng = new Rng(33);
  const [batch, t, heads, d] = [2, 3, 2, 6];
  const n = batch * t * heads * d;
  const cos = randn(rng, t * d); // arbitrary tables: the transpose must hold for any
  const sin = randn(rng, t * d);
  const x = randn(rng, n);
  const w = randn(rng, n);
  const y = new Float64Array(n);
  const loss = () => {
    R.rotary(x, cos, sin, batch, t, heads, d, y, false);
    return dot(w, y);
  };
  const gx = new Float64Array(n);
  R.rotary(w, cos, sin, batch, t, heads, d, gx, true);
  fdCheck('rotary dx', x, loss, gx);
  assert.ok(Math.abs(loss() - dot(x, gx)) < 1e-12, '<rotary(x), w> = <x, rotaryBackward(w)>');
});

test('attention with grouped key/value heads equals attention on k and v with each head repeated (gradients summed over each group)', () => {
  const rng = new Rng(34);
  const [batch, heads, kvHeads, tq, tk, d] = [2, 6, 2, 5, 5, 8];
  const group = heads / kvHeads;
  const [C, Ckv] = [heads * d, kvHeads * d];
  const q = randn(rng, batch * tq * C);
  const k = randn(rng, batch * tk * Ckv);
  const v = randn(rng, batch * tk * Ckv);
  const gout = randn(rng, batch * tq * C);
  const keyMask = i32([1, 1, 1, 0, 1, 1, 0, 1, 1, 1]);
  // HF's repeat_kv: key/value head g becomes query heads g * group .. (g + 1) * group - 1.
  const repeat = (x: Float64Array) => {
    const out = new Float64Array(batch * tk * C);
    for (let row = 0; row < batch * tk; row++) {
      for (let h = 0; h < heads; h++) out.set(x.subarray(row * Ckv + Math.floor(h / group) * d, row * Ckv + Math.floor(h / group) * d + d), row * C + h * d);
    }
    return out;
  };
  const run = (kk: Float64Array, vv: Float64Array, kvh: number) => {
    const dims = { batch, heads, kvHeads: kvh, tq, tk, d, scale: 0.3, causal: true };
    const [qv, kv] = [{ offset: 0, rowStride: C }, { offset: 0, rowStride: kvh * d }];
    const p = new Float64Array(batch * heads * tq * tk);
    const out = new Float64Array(batch * tq * C);
    R.attention(q, qv, kk, kv, vv, kv, keyMask, p, out, dims);
    const [gq, gk, gv] = [new Float64Array(q.length), new Float64Array(kk.length), new Float64Array(vv.length)];
    R.attentionBackward(q, qv, kk, kv, vv, kv, p, gout, gq, gk, gv, dims);
    return { p, out, gq, gk, gv };
  };
  const grouped = run(k, v, kvHeads);
  const repeated = run(repeat(k), repeat(v), heads);
  close(grouped.p, repeated.p, 0, 'probabilities');
  close(grouped.out, repeated.out, 0, 'output');
  close(grouped.gq, repeated.gq, 0, 'gq');
  // A key/value head's gradient is the sum of its repeats' gradients.
  const summed = (g: Float64Array) => {
    const out = new Float64Array(batch * tk * Ckv);
    for (let row = 0; row < batch * tk; row++) {
      for (let h = 0; h < heads; h++) for (let c = 0; c < d; c++) out[row * Ckv + Math.floor(h / group) * d + c] += g[row * C + h * d + c];
    }
    return out;
  };
  close(grouped.gk, summed(repeated.gk), 1e-13, 'gk');
  close(grouped.gv, summed(repeated.gv), 1e-13, 'gv');
  assert.throws(() => run(k, v, 4), /4 key\/value heads do not divide 6 heads/);
});
