// The reference backend: every kernel of the `Backend` contract in plain TypeScript.
//
// This is the correctness oracle (for the native addon, and for float64 finite-difference
// gradient checks) and the fallback when the addon is not built. Priorities, in order:
// exactness, clarity, then reasonable speed. Every kernel is generic over Float32Array and
// Float64Array (outputs are supplied by the caller); arithmetic is always done in float64 JS
// numbers and reductions accumulate in float64, so float32 outputs are rounded once, at the
// store.

import { BinaryOp, ReduceOp, UnaryOp } from './backend.ts';
import type { AttentionDims, Backend, FloatArray, HeadsView, MatmulArgs, StridedView } from './backend.ts';
import { hashUniform } from './rng.ts';

// ---------------------------------------------------------------------------------------------
// erf: a port of FreeBSD/Sun fdlibm s_erf.c (via Go's math.Erf), error < 1 ulp in float64.
// ---------------------------------------------------------------------------------------------

const ERX = 8.45062911510467529297e-1;
// erf on [0, 0.84375]
const EFX = 1.28379167095512586316e-1;
const PP0 = 1.28379167095512558561e-1;
const PP1 = -3.25042107247001499370e-1;
const PP2 = -2.84817495755985104766e-2;
const PP3 = -5.77027029648944159157e-3;
const PP4 = -2.37630166566501626084e-5;
const QQ1 = 3.97917223959155352819e-1;
const QQ2 = 6.50222499887672944485e-2;
const QQ3 = 5.08130628187576562776e-3;
const QQ4 = 1.32494738004321644526e-4;
const QQ5 = -3.96022827877536812320e-6;
// erf on [0.84375, 1.25]
const PA0 = -2.36211856075265944077e-3;
const PA1 = 4.14856118683748331666e-1;
const PA2 = -3.72207876035701323847e-1;
const PA3 = 3.18346619901161753674e-1;
const PA4 = -1.10894694282396677476e-1;
const PA5 = 3.54783043256182359371e-2;
const PA6 = -2.16637559486879084300e-3;
const QA1 = 1.06420880400844228286e-1;
const QA2 = 5.40397917702171048937e-1;
const QA3 = 7.18286544141962662868e-2;
const QA4 = 1.26171219808761642112e-1;
const QA5 = 1.36370839120290507362e-2;
const QA6 = 1.19844998467991074170e-2;
// erfc on [1.25, 1/0.35]
const RA0 = -9.86494403484714822705e-3;
const RA1 = -6.93858572707181764372e-1;
const RA2 = -1.05586262253232909814e1;
const RA3 = -6.23753324503260060396e1;
const RA4 = -1.62396669462573470355e2;
const RA5 = -1.84605092906711035994e2;
const RA6 = -8.12874355063065934246e1;
const RA7 = -9.81432934416914548592;
const SA1 = 1.96512716674392571292e1;
const SA2 = 1.37657754143519042600e2;
const SA3 = 4.34565877475229228821e2;
const SA4 = 6.45387271733267880336e2;
const SA5 = 4.29008140027567833386e2;
const SA6 = 1.08635005541779435134e2;
const SA7 = 6.57024977031928170135;
const SA8 = -6.04244152148580987438e-2;
// erfc on [1/0.35, 6]
const RB0 = -9.86494292470009928597e-3;
const RB1 = -7.99283237680523006574e-1;
const RB2 = -1.77579549177547519889e1;
const RB3 = -1.60636384855821916062e2;
const RB4 = -6.37566443368389627722e2;
const RB5 = -1.02509513161107724954e3;
const RB6 = -4.83519191608651397019e2;
const SB1 = 3.03380607434824582924e1;
const SB2 = 3.25792512996573918826e2;
const SB3 = 1.53672958608443695994e3;
const SB4 = 3.19985821950859553908e3;
const SB5 = 2.55305040643316442583e3;
const SB6 = 4.74528541206955367215e2;
const SB7 = -2.24409524465858183362e1;

/** The error function, accurate to about 1 ulp in float64. */
export function erf(x: number): number {
  if (x !== x) return NaN;
  const neg = x < 0;
  const ax = neg ? -x : x;
  let r: number;
  if (ax < 0.84375) {
    if (ax < 3.725290298461914e-9) {
      // |x| < 2^-28: erf(x) = x * 2/sqrt(pi) to full precision.
      r = ax + EFX * ax;
    } else {
      const z = ax * ax;
      const p = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
      const q = 1 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
      r = ax + ax * (p / q);
    }
  } else if (ax < 1.25) {
    const s = ax - 1;
    const p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
    const q = 1 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
    r = ERX + p / q;
  } else if (ax >= 6) {
    r = 1;
  } else {
    const s = 1 / (ax * ax);
    let R: number;
    let S: number;
    if (ax < 1 / 0.35) {
      R = RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7))))));
      S = 1 + s * (SA1 + s * (SA2 + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8)))))));
    } else {
      R = RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6)))));
      S = 1 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7))))));
    }
    // exp(-x^2) split as exp(-z^2) * exp((z-x)(z+x)) with z = x rounded to single precision,
    // so that z*z is exact and the cancellation-prone part is carried separately.
    const z = Math.fround(ax);
    const e = Math.exp(-z * z - 0.5625) * Math.exp((z - ax) * (z + ax) + R / S);
    r = 1 - e / ax;
  }
  return neg ? -r : r;
}

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2 / sqrt(pi)
const INV_SQRT2 = 0.7071067811865476; // 1 / sqrt(2)
const INV_SQRT_2PI = 0.3989422804014327; // 1 / sqrt(2 pi)
const SQRT_2_OVER_PI = 0.7978845608028654; // sqrt(2 / pi)
const GELU_C = 0.044715;

// ---------------------------------------------------------------------------------------------
// Unary ops: each op's forward y = f(x) beside its backward gx = gy * f'(x), which may read the
// input x and the output y; p is the op's param (Pow's exponent, Scale's factor, AddScalar's
// addend). native/src/kernels_elementwise.cc (namespace unary) writes the same rules in float32,
// op for op. Every backward reads its inputs before gx is stored, so gx may alias any of them.
// ---------------------------------------------------------------------------------------------

interface UnaryRule {
  forward(x: number, p: number): number;
  backward(gy: number, x: number, y: number, p: number): number;
}

const UNARY: Record<UnaryOp, UnaryRule> = {
  [UnaryOp.Exp]: { forward: (x) => Math.exp(x), backward: (gy, _x, y) => gy * y },
  [UnaryOp.Log]: { forward: (x) => Math.log(x), backward: (gy, x) => gy / x },
  [UnaryOp.Sqrt]: { forward: (x) => Math.sqrt(x), backward: (gy, _x, y) => (0.5 * gy) / y },
  // d/dx x^-1/2 = -1/2 x^-3/2 = -1/2 y^3
  [UnaryOp.Rsqrt]: { forward: (x) => 1 / Math.sqrt(x), backward: (gy, _x, y) => -0.5 * gy * y * y * y },
  [UnaryOp.Tanh]: { forward: (x) => Math.tanh(x), backward: (gy, _x, y) => gy * (1 - y * y) },
  [UnaryOp.Erf]: { forward: (x) => erf(x), backward: (gy, x) => gy * TWO_OVER_SQRT_PI * Math.exp(-x * x) },
  [UnaryOp.Neg]: { forward: (x) => -x, backward: (gy) => -gy },
  // y = 0.5 x (1 + erf(x/sqrt2)); y' = 0.5 (1 + erf(x/sqrt2)) + x exp(-x^2/2) / sqrt(2 pi)
  [UnaryOp.GeluErf]: {
    forward: (x) => 0.5 * x * (1 + erf(x * INV_SQRT2)),
    backward: (gy, x) => gy * (0.5 * (1 + erf(x * INV_SQRT2)) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI),
  },
  // y = 0.5 x (1 + t), t = tanh(u), u = c (x + a x^3); y' = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2)
  [UnaryOp.GeluTanh]: {
    forward: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x))),
    backward: (gy, x) => {
      const x2 = x * x;
      const t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x2 * x));
      return gy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * x2));
    },
  },
  // d/dx x^0 = 0 everywhere (not 0 * 0^-1 = NaN at x = 0).
  [UnaryOp.Pow]: { forward: (x, p) => x ** p, backward: (gy, x, _y, p) => (p === 0 ? gy * 0 : gy * p * x ** (p - 1)) },
  [UnaryOp.Scale]: { forward: (x, p) => x * p, backward: (gy, _x, _y, p) => gy * p },
  [UnaryOp.AddScalar]: { forward: (x, p) => x + p, backward: (gy) => gy },
  // NaN propagates (NaN <= 0 is false) and -0 becomes +0; the subgradient at 0 is 0 (PyTorch's).
  [UnaryOp.Relu]: { forward: (x) => (x <= 0 ? 0 : x), backward: (gy, x) => (x > 0 ? gy : 0) },
  // y = x s, s = sigmoid(x) (1 + e^-x overflows to inf for very negative x: y is -0, never NaN);
  // y' = s (1 + x (1 - s))
  [UnaryOp.Silu]: {
    forward: (x) => x / (1 + Math.exp(-x)),
    backward: (gy, x) => {
      const s = 1 / (1 + Math.exp(-x));
      return gy * (s * (1 + x * (1 - s)));
    },
  },
};

function unaryRule(kernel: string, op: UnaryOp): UnaryRule {
  const rule = UNARY[op];
  if (!rule) throw new RangeError(`${kernel}: unknown op ${op as number}`);
  return rule;
}

function unary(op: UnaryOp, x: FloatArray, out: FloatArray, param: number): void {
  const { forward } = unaryRule('unary', op);
  for (let i = 0; i < x.length; i++) out[i] = forward(x[i], param);
}

function unaryBackward(op: UnaryOp, x: FloatArray, y: FloatArray, gy: FloatArray, gx: FloatArray, param: number): void {
  const { backward } = unaryRule('unaryBackward', op);
  for (let i = 0; i < x.length; i++) gx[i] = backward(gy[i], x[i], y[i], param);
}

// ---------------------------------------------------------------------------------------------
// Strided iteration helpers.
// ---------------------------------------------------------------------------------------------

/**
 * Simplifies an N-d iteration over `shape` with one stride array per operand: drops size-1
 * dimensions and merges adjacent dimensions that are jointly contiguous for every operand
 * (strides[d] == strides[d+1] * shape[d+1]). Row-major iteration order is preserved, so a
 * contiguous output can still be written sequentially. Returns null for an empty shape
 * (some dimension is 0); a rank-0 shape becomes [1] with stride 0.
 */
function collapseDims(shape: Int32Array, strides: Int32Array[]): { dims: number[]; st: number[][] } | null {
  const rank = shape.length;
  for (let i = 0; i < strides.length; i++) {
    if (strides[i].length !== rank) throw new RangeError(`strided kernel: stride array ${i} has rank ${strides[i].length}, shape has rank ${rank}`);
  }
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < rank; d++) {
    const n = shape[d];
    if (n === 0) return null;
    if (n < 0) throw new RangeError(`strided kernel: negative dimension ${n}`);
    if (n === 1) continue;
    const last = dims.length - 1;
    let merge = last >= 0;
    for (let k = 0; merge && k < strides.length; k++) {
      if (st[k][last] !== strides[k][d] * n) merge = false;
    }
    if (merge) {
      dims[last] *= n;
      for (let k = 0; k < strides.length; k++) st[k][last] = strides[k][d];
    } else {
      dims.push(n);
      for (let k = 0; k < strides.length; k++) st[k].push(strides[k][d]);
    }
  }
  if (dims.length === 0) {
    dims.push(1);
    for (let k = 0; k < strides.length; k++) st[k].push(0);
  }
  return { dims, st };
}

/** out[o..o+n) = a[ia + j*sa] (op) b[ib + j*sb] for j in [0, n). */
function binaryRow(op: BinaryOp, a: FloatArray, ia: number, sa: number, b: FloatArray, ib: number, sb: number, out: FloatArray, o: number, n: number): void {
  const end = o + n;
  switch (op) {
    case BinaryOp.Add:
      for (; o < end; o++, ia += sa, ib += sb) out[o] = a[ia] + b[ib];
      break;
    case BinaryOp.Sub:
      for (; o < end; o++, ia += sa, ib += sb) out[o] = a[ia] - b[ib];
      break;
    case BinaryOp.Mul:
      for (; o < end; o++, ia += sa, ib += sb) out[o] = a[ia] * b[ib];
      break;
    case BinaryOp.Div:
      for (; o < end; o++, ia += sa, ib += sb) out[o] = a[ia] / b[ib];
      break;
    default:
      throw new RangeError(`binary: unknown op ${op as number}`);
  }
}

function binaryContiguous(op: BinaryOp, a: FloatArray, b: FloatArray, out: FloatArray, n: number): void {
  switch (op) {
    case BinaryOp.Add:
      for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
      break;
    case BinaryOp.Sub:
      for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
      break;
    case BinaryOp.Mul:
      for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
      break;
    case BinaryOp.Div:
      for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
      break;
    default:
      throw new RangeError(`binary: unknown op ${op as number}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Kernels.
// ---------------------------------------------------------------------------------------------

function fill(out: FloatArray, value: number): void {
  out.fill(value);
}

function matmul(a: FloatArray, b: FloatArray, c: FloatArray, args: MatmulArgs): void {
  const { batch, m, n, k, transA, transB, strideA, strideB, strideC, alpha, beta } = args;
  const bias = args.bias ?? null;
  if (bias && strideC === 0 && batch > 1) throw new RangeError('matmul: a bias needs a C per batch item (strideC > 0)');
  if (bias && bias.length < n) throw new RangeError(`matmul: bias has ${bias.length} elements, needs ${n}`);
  if (batch <= 0 || m <= 0 || n <= 0) return;
  // One row of op(A) and one row of C, both in float64.
  const arow = new Float64Array(k);
  const acc = new Float64Array(n);
  for (let bi = 0; bi < batch; bi++) {
    const aOff = bi * strideA;
    const bOff = bi * strideB;
    const cOff = bi * strideC;
    for (let i = 0; i < m; i++) {
      // arow[p] = op(A)[i, p]: A stored [m, k] (row i contiguous) or [k, m] (column i, stride m).
      if (transA) {
        for (let p = 0, ia = aOff + i; p < k; p++, ia += m) arow[p] = a[ia];
      } else {
        const base = aOff + i * k;
        for (let p = 0; p < k; p++) arow[p] = a[base + p];
      }
      if (transB) {
        // B stored [n, k]: C[i, j] = dot(arow, B row j), both contiguous.
        for (let j = 0; j < n; j++) {
          const base = bOff + j * k;
          let s = 0;
          for (let p = 0; p < k; p++) s += arow[p] * b[base + p];
          acc[j] = s;
        }
      } else {
        // B stored [k, n]: i-k-j order, acc += arow[p] * B row p (contiguous).
        acc.fill(0);
        for (let p = 0; p < k; p++) {
          const ap = arow[p];
          const base = bOff + p * n;
          for (let j = 0; j < n; j++) acc[j] += ap * b[base + j];
        }
      }
      const cRow = cOff + i * n;
      for (let j = 0; j < n; j++) {
        const v = alpha * acc[j] + (bias ? bias[j] : 0);
        c[cRow + j] = beta === 0 ? v : v + beta * c[cRow + j]; // beta 0: C never read
      }
    }
  }
}

function binary(op: BinaryOp, a: FloatArray, aStrides: Int32Array, b: FloatArray, bStrides: Int32Array, out: FloatArray, shape: Int32Array): void {
  const c = collapseDims(shape, [aStrides, bStrides]);
  if (c === null) return;
  const { dims, st } = c;
  const sa = st[0];
  const sb = st[1];
  const rank = dims.length;
  // Fast path: both operands contiguous with the output's layout.
  if (rank === 1 && sa[0] === 1 && sb[0] === 1) {
    binaryContiguous(op, a, b, out, dims[0]);
    return;
  }
  const inner = dims[rank - 1];
  const sai = sa[rank - 1];
  const sbi = sb[rank - 1];
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) rows *= dims[d];
  // Odometer over the outer dimensions with incrementally maintained offsets.
  const idx = new Int32Array(rank);
  let ia = 0;
  let ib = 0;
  let o = 0;
  for (let r = 0; r < rows; r++) {
    binaryRow(op, a, ia, sai, b, ib, sbi, out, o, inner);
    o += inner;
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d] < dims[d]) {
        ia += sa[d];
        ib += sb[d];
        break;
      }
      idx[d] = 0;
      ia -= sa[d] * (dims[d] - 1);
      ib -= sb[d] * (dims[d] - 1);
    }
  }
}

function where(cond: FloatArray | Int32Array, a: FloatArray, b: FloatArray, out: FloatArray): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = cond[i] !== 0 ? a[i] : b[i];
}

function reduce(op: ReduceOp, x: FloatArray, outer: number, r: number, inner: number, out: FloatArray): void {
  if (op !== ReduceOp.Sum && op !== ReduceOp.Max) throw new RangeError(`reduce: unknown op ${op as number}`);
  const isSum = op === ReduceOp.Sum;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * r;
      if (isSum) {
        let s = 0;
        for (let j = 0; j < r; j++) s += x[base + j];
        out[o] = s;
      } else {
        let mx = -Infinity;
        for (let j = 0; j < r; j++) {
          const v = x[base + j];
          if (v > mx || v !== v) mx = v; // NaN propagates
        }
        out[o] = mx;
      }
    }
    return;
  }
  // Accumulate a whole [inner] row at a time in float64, walking x contiguously.
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(isSum ? 0 : -Infinity);
    const base = o * r * inner;
    for (let j = 0; j < r; j++) {
      const row = base + j * inner;
      if (isSum) {
        for (let i = 0; i < inner; i++) acc[i] += x[row + i];
      } else {
        for (let i = 0; i < inner; i++) {
          const v = x[row + i];
          if (v > acc[i] || v !== v) acc[i] = v;
        }
      }
    }
    const ob = o * inner;
    for (let i = 0; i < inner; i++) out[ob + i] = acc[i];
  }
}

function reduceMaxBackward(x: FloatArray, y: FloatArray, gy: FloatArray, outer: number, r: number, inner: number, gx: FloatArray): void {
  gx.fill(0, 0, outer * r * inner);
  const found = new Uint8Array(inner);
  for (let o = 0; o < outer; o++) {
    found.fill(0);
    const base = o * r * inner;
    const ob = o * inner;
    for (let j = 0; j < r; j++) {
      const row = base + j * inner;
      for (let i = 0; i < inner; i++) {
        if (found[i] === 0 && x[row + i] === y[ob + i]) {
          gx[row + i] = gy[ob + i];
          found[i] = 1;
        }
      }
    }
  }
}

function copyStrided(src: FloatArray | Int32Array, srcView: StridedView, dst: FloatArray | Int32Array, dstView: StridedView, shape: Int32Array, accumulate: boolean): void {
  const c = collapseDims(shape, [srcView.strides, dstView.strides]);
  if (c === null) return;
  const { dims, st } = c;
  const ss = st[0];
  const ds = st[1];
  const rank = dims.length;
  const inner = dims[rank - 1];
  const ssi = ss[rank - 1];
  const dsi = ds[rank - 1];
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) rows *= dims[d];
  const idx = new Int32Array(rank);
  let is = srcView.offset;
  let id = dstView.offset;
  for (let r = 0; r < rows; r++) {
    if (accumulate) {
      for (let j = 0, s = is, t = id; j < inner; j++, s += ssi, t += dsi) dst[t] += src[s];
    } else if (ssi === 1 && dsi === 1) {
      for (let j = 0; j < inner; j++) dst[id + j] = src[is + j];
    } else {
      for (let j = 0, s = is, t = id; j < inner; j++, s += ssi, t += dsi) dst[t] = src[s];
    }
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d] < dims[d]) {
        is += ss[d];
        id += ds[d];
        break;
      }
      idx[d] = 0;
      is -= ss[d] * (dims[d] - 1);
      id -= ds[d] * (dims[d] - 1);
    }
  }
}

function softmax(x: FloatArray, rows: number, cols: number, out: FloatArray, log: boolean): void {
  // Safe in place (out === x): every x[j] is read before out[j] is written.
  const e = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) if (x[base + j] > mx) mx = x[base + j];
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[base + j] - mx;
      const ex = Math.exp(d);
      e[j] = log ? d : ex;
      s += ex;
    }
    if (log) {
      const ls = Math.log(s);
      for (let j = 0; j < cols; j++) out[base + j] = e[j] - ls;
    } else {
      const inv = 1 / s;
      for (let j = 0; j < cols; j++) out[base + j] = e[j] * inv;
    }
  }
}

function softmaxBackward(y: FloatArray, gy: FloatArray, rows: number, cols: number, gx: FloatArray, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const end = base + cols;
    let s = 0;
    if (log) {
      for (let i = base; i < end; i++) s += gy[i];
      for (let i = base; i < end; i++) gx[i] = gy[i] - Math.exp(y[i]) * s;
    } else {
      for (let i = base; i < end; i++) s += gy[i] * y[i];
      for (let i = base; i < end; i++) gx[i] = y[i] * (gy[i] - s);
    }
  }
}

/**
 * Attention scores in place: s is [batch, heads, tq, tk]. For each row: s = s * scale, then masked
 * positions (causal: key j > query i + (tk - tq); keyMask[b, j] == 0) set to -inf, then softmax.
 * Rows that are entirely masked become all zeros. keyMask is [batch, tk] or null.
 */
export function maskedSoftmax(s: FloatArray, batch: number, heads: number, tq: number, tk: number, scale: number, causal: boolean, keyMask: Int32Array | null): void {
  const shift = tk - tq;
  const row = new Float64Array(tk);
  const live = new Uint8Array(tk);
  for (let b = 0; b < batch; b++) {
    const maskBase = b * tk;
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < tq; i++) {
        const base = ((b * heads + h) * tq + i) * tk;
        const lastKey = i + shift; // causal: keys j > lastKey are masked
        let mx = -Infinity;
        let any = false;
        for (let j = 0; j < tk; j++) {
          const ok = !(causal && j > lastKey) && (keyMask === null || keyMask[maskBase + j] !== 0);
          live[j] = ok ? 1 : 0;
          if (ok) {
            const v = s[base + j] * scale;
            row[j] = v;
            any = true;
            if (v > mx || v !== v) mx = v;
          }
        }
        if (!any || mx === -Infinity) {
          // Entirely masked (or every live score is -inf): zeros, never NaN.
          for (let j = 0; j < tk; j++) s[base + j] = 0;
          continue;
        }
        let sum = 0;
        for (let j = 0; j < tk; j++) {
          if (live[j] === 1) {
            const e = Math.exp(row[j] - mx);
            row[j] = e;
            sum += e;
          } else {
            row[j] = 0;
          }
        }
        const inv = 1 / sum;
        for (let j = 0; j < tk; j++) s[base + j] = row[j] * inv;
      }
    }
  }
}

/** Element (row t, column c) of head h of batch item b, for an operand with `rows` rows per item. */
function headAt(view: HeadsView, rows: number, d: number, b: number, h: number): (t: number, c: number) => number {
  const base = view.offset + b * rows * view.rowStride + h * d;
  return (t, c) => base + t * view.rowStride + c;
}

/** Query heads per key/value head; a RangeError unless kvHeads divides heads. */
function groupSize(dims: AttentionDims): number {
  const { heads, kvHeads } = dims;
  if (!Number.isInteger(kvHeads) || kvHeads < 1 || heads % kvHeads !== 0) throw new RangeError(`attention: ${kvHeads} key/value heads do not divide ${heads} heads`);
  return heads / kvHeads;
}

/** Calls f for every (batch item, head), with the key/value head it reads and where its probabilities start in p. */
function forEachHead(dims: AttentionDims, f: (b: number, h: number, kh: number, pBase: number) => void): void {
  const group = groupSize(dims);
  for (let b = 0; b < dims.batch; b++) for (let h = 0; h < dims.heads; h++) f(b, h, Math.floor(h / group), (b * dims.heads + h) * dims.tq * dims.tk);
}

function attention(q: FloatArray, qv: HeadsView, k: FloatArray, kv: HeadsView, v: FloatArray, vv: HeadsView, keyMask: Int32Array | null, p: FloatArray, out: FloatArray, dims: AttentionDims): void {
  const { batch, heads, tq, tk, d } = dims;
  const ov: HeadsView = { offset: 0, rowStride: heads * d };
  forEachHead(dims, (b, h, kh, pBase) => {
    const [qi, ki] = [headAt(qv, tq, d, b, h), headAt(kv, tk, d, b, kh)];
    for (let i = 0; i < tq; i++) {
      for (let j = 0; j < tk; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += q[qi(i, c)] * k[ki(j, c)];
        p[pBase + i * tk + j] = s;
      }
    }
  });
  maskedSoftmax(p, batch, heads, tq, tk, dims.scale, dims.causal, keyMask);
  forEachHead(dims, (b, h, kh, pBase) => {
    const [vi, oi] = [headAt(vv, tk, d, b, kh), headAt(ov, tq, d, b, h)];
    for (let i = 0; i < tq; i++) {
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let j = 0; j < tk; j++) s += p[pBase + i * tk + j] * v[vi(j, c)];
        out[oi(i, c)] = s;
      }
    }
  });
}

function attentionBackward(q: FloatArray, qv: HeadsView, k: FloatArray, kv: HeadsView, v: FloatArray, vv: HeadsView, p: FloatArray, gout: FloatArray, gq: FloatArray, gk: FloatArray, gv: FloatArray, dims: AttentionDims): void {
  const { batch, heads, kvHeads, tq, tk, d, scale } = dims;
  const group = groupSize(dims);
  const ov: HeadsView = { offset: 0, rowStride: heads * d };
  const ds = new Float64Array(group * tq * tk); // dS of each query head of the group
  // One key/value head at a time, with the query heads that read it: its gradients sum theirs.
  for (let b = 0; b < batch; b++) {
    for (let kh = 0; kh < kvHeads; kh++) {
      const [ki, vi] = [headAt(kv, tk, d, b, kh), headAt(vv, tk, d, b, kh)];
      const members = Array.from({ length: group }, (_, g) => {
        const h = kh * group + g;
        return { qi: headAt(qv, tq, d, b, h), oi: headAt(ov, tq, d, b, h), pBase: (b * heads + h) * tq * tk, dBase: g * tq * tk };
      });
      for (const { qi, oi, pBase, dBase } of members) {
        // dP = dO V^T, then dS = P * (dP - rowsum(P * dP)): the softmax's backward, before the scale.
        for (let i = 0; i < tq; i++) {
          let dot = 0;
          for (let j = 0; j < tk; j++) {
            let s = 0;
            for (let c = 0; c < d; c++) s += gout[oi(i, c)] * v[vi(j, c)];
            ds[dBase + i * tk + j] = s;
            dot += s * p[pBase + i * tk + j];
          }
          for (let j = 0; j < tk; j++) ds[dBase + i * tk + j] = p[pBase + i * tk + j] * (ds[dBase + i * tk + j] - dot);
        }
        for (let c = 0; c < d; c++) {
          for (let i = 0; i < tq; i++) {
            let s = 0;
            for (let j = 0; j < tk; j++) s += ds[dBase + i * tk + j] * k[ki(j, c)];
            gq[qi(i, c)] = s * scale; // dQ = dS K * scale
          }
        }
      }
      for (let c = 0; c < d; c++) {
        for (let j = 0; j < tk; j++) {
          let sk = 0;
          let sv = 0;
          for (const { qi, oi, pBase, dBase } of members) {
            for (let i = 0; i < tq; i++) {
              sk += ds[dBase + i * tk + j] * q[qi(i, c)];
              sv += p[pBase + i * tk + j] * gout[oi(i, c)];
            }
          }
          gk[ki(j, c)] = sk * scale; // dK = sum over the group of dS^T Q * scale
          gv[vi(j, c)] = sv; // dV = sum over the group of P^T dO
        }
      }
    }
  }
}

function layerNorm(x: FloatArray, gamma: FloatArray, beta: FloatArray, rows: number, cols: number, eps: number, out: FloatArray, mean: FloatArray, rstd: FloatArray): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[base + j];
    const mu = s / cols;
    let ss = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[base + j] - mu;
      ss += d * d;
    }
    const rs = 1 / Math.sqrt(ss / cols + eps); // biased variance, eps inside the sqrt
    mean[r] = mu;
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) out[base + j] = (x[base + j] - mu) * rs * gamma[j] + beta[j];
  }
}

function layerNormBackward(x: FloatArray, gamma: FloatArray, mean: FloatArray, rstd: FloatArray, gy: FloatArray, rows: number, cols: number, gx: FloatArray, ggamma: FloatArray, gbeta: FloatArray): void {
  // With xhat = (x - mean) * rstd and g = gy * gamma:
  //   gx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  ggamma += gy * xhat,  gbeta += gy.
  const accG = new Float64Array(cols);
  const accB = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const mu = mean[r];
    const rs = rstd[r];
    let sg = 0;
    let sgx = 0;
    for (let j = 0; j < cols; j++) {
      const xh = (x[base + j] - mu) * rs;
      const g = gy[base + j];
      const gg = g * gamma[j];
      sg += gg;
      sgx += gg * xh;
      accG[j] += g * xh;
      accB[j] += g;
    }
    const mg = sg / cols;
    const mgx = sgx / cols;
    for (let j = 0; j < cols; j++) {
      const xh = (x[base + j] - mu) * rs;
      gx[base + j] = rs * (gy[base + j] * gamma[j] - mg - xh * mgx);
    }
  }
  for (let j = 0; j < cols; j++) {
    ggamma[j] += accG[j];
    gbeta[j] += accB[j];
  }
}

function rmsNorm(x: FloatArray, gamma: FloatArray, rows: number, cols: number, eps: number, out: FloatArray, rstd: FloatArray): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let ss = 0;
    for (let j = 0; j < cols; j++) ss += x[base + j] * x[base + j];
    const rs = 1 / Math.sqrt(ss / cols + eps);
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) out[base + j] = gamma[j] * (x[base + j] * rs);
  }
}

function rmsNormBackward(x: FloatArray, gamma: FloatArray, rstd: FloatArray, gy: FloatArray, rows: number, cols: number, gx: FloatArray, ggamma: FloatArray): void {
  // With xhat = x * rstd: gx = rstd * (gy * gamma - xhat * mean(gy * gamma * xhat)),  ggamma += gy * xhat.
  const accG = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const rs = rstd[r];
    let sgx = 0;
    for (let j = 0; j < cols; j++) {
      const xh = x[base + j] * rs;
      const g = gy[base + j];
      sgx += g * gamma[j] * xh;
      accG[j] += g * xh;
    }
    const mgx = sgx / cols;
    for (let j = 0; j < cols; j++) gx[base + j] = rs * (gy[base + j] * gamma[j] - x[base + j] * rs * mgx);
  }
  for (let j = 0; j < cols; j++) ggamma[j] += accG[j];
}

function rotary(x: FloatArray, cos: FloatArray, sin: FloatArray, batch: number, t: number, heads: number, d: number, out: FloatArray, backward: boolean): void {
  if (d % 2 !== 0) throw new RangeError(`rotary: head size ${d} is odd`);
  const half = d / 2;
  for (let row = 0; row < batch * t; row++) {
    const tab = (row % t) * d; // position row % t's cos and sin
    for (let h = 0; h < heads; h++) {
      const base = (row * heads + h) * d;
      for (let i = 0; i < half; i++) {
        const lo = x[base + i];
        const hi = x[base + half + i];
        const cLo = cos[tab + i];
        const cHi = cos[tab + half + i];
        const sLo = sin[tab + i];
        const sHi = sin[tab + half + i];
        // forward: rotateHalf(x) = (-hi, lo); backward: rotateHalfT(x * sin) = (hi sHi, -lo sLo).
        out[base + i] = backward ? lo * cLo + hi * sHi : lo * cLo - hi * sLo;
        out[base + half + i] = backward ? hi * cHi - lo * sLo : hi * cHi + lo * sHi;
      }
    }
  }
}

function gather(table: FloatArray, vocab: number, cols: number, ids: Int32Array, out: FloatArray): void {
  const n = ids.length;
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (id < 0 || id >= vocab) throw new RangeError(`gather: id ${id} at position ${i} is out of range for vocab size ${vocab}`);
    // TypedArray.set converts between float32 and float64 as needed.
    out.set(table.subarray(id * cols, id * cols + cols), i * cols);
  }
}

function scatterAdd(gy: FloatArray, ids: Int32Array, cols: number, gtable: FloatArray): void {
  const n = ids.length;
  const vocab = cols > 0 ? Math.floor(gtable.length / cols) : 0;
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (id < 0 || id >= vocab) throw new RangeError(`scatterAdd: id ${id} at position ${i} is out of range for vocab size ${vocab}`);
    const src = i * cols;
    const dst = id * cols;
    for (let j = 0; j < cols; j++) gtable[dst + j] += gy[src + j];
  }
}

function crossEntropy(logits: FloatArray, targets: Int32Array, rows: number, cols: number, ignoreIndex: number, lse: FloatArray): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    if (t === ignoreIndex) {
      lse[r] = 0;
      continue;
    }
    if (t < 0 || t >= cols) throw new RangeError(`crossEntropy: target ${t} at row ${r} is out of range for ${cols} classes`);
    const base = r * cols;
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) if (logits[base + j] > mx) mx = logits[base + j];
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(logits[base + j] - mx);
    const ls = Math.log(s);
    lse[r] = mx + ls;
    // (max - logit[t]) + log(sum) avoids the cancellation in lse - logit[t] for large logits.
    total += mx - logits[base + t] + ls;
  }
  return total;
}

function crossEntropyBackward(logits: FloatArray, targets: Int32Array, lse: FloatArray, rows: number, cols: number, ignoreIndex: number, scale: number, gx: FloatArray): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const t = targets[r];
    if (t === ignoreIndex) {
      gx.fill(0, base, base + cols);
      continue;
    }
    const l = lse[r];
    for (let j = 0; j < cols; j++) {
      const p = Math.exp(logits[base + j] - l);
      gx[base + j] = scale * (j === t ? p - 1 : p);
    }
  }
}

function dropoutMask(seed: number, p: number, out: FloatArray): void {
  const keep = 1 / (1 - p);
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = hashUniform(seed, i) >= p ? keep : 0;
}

function sumSquares(x: FloatArray): number {
  let s = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) s += x[i] * x[i];
  return s;
}

function adamw(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number, gradScale: number): void {
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i] * gradScale;
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const mhat = mi / bc1;
    const vhat = vi / bc2;
    const pi = p[i];
    p[i] = pi - lr * (mhat / (Math.sqrt(vhat) + eps) + weightDecay * pi);
  }
}

export const referenceBackend: Backend = {
  name: 'reference',
  float64: true,
  fill,
  matmul,
  unary,
  unaryBackward,
  binary,
  where,
  reduce,
  reduceMaxBackward,
  copyStrided,
  softmax,
  softmaxBackward,
  attention,
  attentionBackward,
  layerNorm,
  layerNormBackward,
  rmsNorm,
  rmsNormBackward,
  rotary,
  gather,
  scatterAdd,
  crossEntropy,
  crossEntropyBackward,
  dropoutMask,
  sumSquares,
  adamw,
  allocate: (bytes) => new ArrayBuffer(bytes),
};
