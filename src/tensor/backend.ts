// The kernel contract every backend implements: `reference` (plain TypeScript, the oracle,
// float32 and float64) and `native` (the C++ addon in native/, float32 only).
//
// Kernels are raw: flat contiguous arrays plus sizes, no shapes, no autodiff. The autograd
// rules in ops/ are written once against this interface, so both backends run the same math.
// Conventions:
// - Every array is row-major and contiguous unless strides are passed explicitly.
// - `out` is always written (never read) unless a kernel says it accumulates.
// - Elementwise kernels (unary, unaryBackward, binary with contiguous equal shapes, where)
//   allow `out` to alias an input.
// - Sizes are element counts, not bytes. Int ids are Int32Array.

export type FloatArray = Float32Array | Float64Array;

// The op enums. An op's code is its value: the kernels' `op` argument, also across the native
// boundary, where kernels.h lists the same names in the same order and the addon checks them
// against these at load (native-abi.ts).

/**
 * Unary elementwise functions, each one's forward and derivative in UNARY (reference.ts);
 * `param` is Pow's exponent, Scale's factor, AddScalar's addend.
 */
export enum UnaryOp {
  Exp = 0,
  Log = 1,
  Sqrt = 2,
  Rsqrt = 3,
  Tanh = 4,
  Erf = 5,
  Neg = 6,
  GeluErf = 7,
  GeluTanh = 8,
  Pow = 9,
  Scale = 10,
  AddScalar = 11,
  Relu = 12,
  Silu = 13,
}

export enum BinaryOp {
  Add = 0,
  Sub = 1,
  Mul = 2,
  Div = 3,
}

export enum ReduceOp {
  Sum = 0,
  Max = 1,
}

/** One (possibly batched) matrix product: C[i] = alpha * op(A[i]) @ op(B[i]) + beta * C[i]. */
export interface MatmulArgs {
  batch: number;
  m: number; // rows of op(A) and C
  n: number; // cols of op(B) and C
  k: number; // inner dimension
  transA: boolean; // A[i] stored [k, m] when true, else [m, k]
  transB: boolean; // B[i] stored [n, k] when true, else [k, n]
  strideA: number; // elements between A[i] and A[i+1]; 0 broadcasts one matrix
  strideB: number;
  strideC: number;
  alpha: number;
  beta: number; // 0: C is overwritten (never read); 1: accumulate into C
  /** [n], added to every row of every C after the product (a linear layer's bias); absent: none. */
  bias?: FloatArray | null;
}

/** Where an attention operand's rows are: the first one's element offset, and elements between rows. */
export interface HeadsView {
  offset: number;
  rowStride: number;
}

export interface AttentionDims {
  batch: number;
  /** Query heads. */
  heads: number;
  /**
   * Key/value heads, dividing heads: query head h reads key/value head floor(h / (heads / kvHeads))
   * (grouped-query attention, HF's repeat_kv); kvHeads == heads is ordinary multi-head attention.
   */
  kvHeads: number;
  tq: number;
  tk: number;
  /** Head size. */
  d: number;
  scale: number;
  causal: boolean;
}

/** An N-d strided view: element at index (i0..ik) lives at offset + sum(ij * strides[j]). */
export interface StridedView {
  offset: number;
  strides: Int32Array;
}

export interface Backend {
  readonly name: 'reference' | 'native';
  /** Whether this backend can run float64 arrays (the reference backend can; native cannot). */
  readonly float64: boolean;

  /**
   * Zeroed storage of `bytes` bytes for a new tensor buffer (the pool in tensor.ts asks only when
   * it has no free buffer that fits). The reference backend returns a plain ArrayBuffer; the
   * native one maps large buffers itself, so their first touch can use huge pages.
   */
  allocate(bytes: number): ArrayBuffer;

  fill(out: FloatArray, value: number): void;

  matmul(a: FloatArray, b: FloatArray, c: FloatArray, args: MatmulArgs): void;

  unary(op: UnaryOp, x: FloatArray, out: FloatArray, param: number): void;
  /** gx = gy * f'(x); y = f(x) is passed too, since some derivatives read it (exp, tanh, sqrt). */
  unaryBackward(op: UnaryOp, x: FloatArray, y: FloatArray, gy: FloatArray, gx: FloatArray, param: number): void;

  /**
   * out[idx] = a[idx . aStrides] (op) b[idx . bStrides] for every idx in `shape`, out contiguous.
   * Broadcasting is expressed by stride 0. Shapes have rank 1..8.
   */
  binary(op: BinaryOp, a: FloatArray, aStrides: Int32Array, b: FloatArray, bStrides: Int32Array, out: FloatArray, shape: Int32Array): void;

  /** out[i] = cond[i] != 0 ? a[i] : b[i]; all the same length. */
  where(cond: FloatArray | Int32Array, a: FloatArray, b: FloatArray, out: FloatArray): void;

  /**
   * x viewed as [outer, r, inner]; out[o, i] = reduce over j of x[o, j, i]. out has outer*inner.
   */
  reduce(op: ReduceOp, x: FloatArray, outer: number, r: number, inner: number, out: FloatArray): void;
  /** Gradient of Max: gx[o, j, i] = gy[o, i] at the first j where x == y[o, i], else 0. */
  reduceMaxBackward(x: FloatArray, y: FloatArray, gy: FloatArray, outer: number, r: number, inner: number, gx: FloatArray): void;

  /**
   * For every index in `shape`: dst[dst.offset + idx . dst.strides] (=|+=) src[src.offset + idx . src.strides].
   * Used for permute, slice, pad, concat, split and expand. With accumulate, dst must not have
   * two indices mapping to the same element unless the caller wants them summed (expand backward).
   */
  copyStrided(src: FloatArray | Int32Array, srcView: StridedView, dst: FloatArray | Int32Array, dstView: StridedView, shape: Int32Array, accumulate: boolean): void;

  /** Row-wise softmax (or log-softmax) of x viewed as [rows, cols]. */
  softmax(x: FloatArray, rows: number, cols: number, out: FloatArray, log: boolean): void;
  /** softmax: gx = y * (gy - sum(gy * y)); log-softmax: gx = gy - exp(y) * sum(gy). */
  softmaxBackward(y: FloatArray, gy: FloatArray, rows: number, cols: number, gx: FloatArray, log: boolean): void;

  /**
   * Multi-head attention on rows that hold every head side by side, as a linear layer writes
   * them. For each b < batch and h < heads, Q_bh is the [tq, d] block whose row t starts at
   * q[qv.offset + (b * tq + t) * qv.rowStride + h * d]; K_bh and V_bh ([tk, d]) likewise, but at
   * column g * d of k and v's rows, g = floor(h / (heads / kvHeads)) the key/value head query
   * head h reads (k and v rows hold kvHeads heads). Then p[b, h] ([batch, heads, tq, tk],
   * contiguous) = softmax of Q_bh K_bh^T * scale with masked keys (causal: key j > query i + (tk -
   * tq); keyMask[b, j] == 0) at -inf, an entirely masked row all zeros; and out ([batch, tq, heads
   * * d], contiguous) holds p[b, h] V_bh in row (b, t), columns h * d onwards. keyMask is [batch,
   * tk] or null.
   */
  attention(q: FloatArray, qv: HeadsView, k: FloatArray, kv: HeadsView, v: FloatArray, vv: HeadsView, keyMask: Int32Array | null, p: FloatArray, out: FloatArray, dims: AttentionDims): void;
  /**
   * attention's gradients from its p and gout ([batch, tq, heads * d]): gq, gk and gv, laid out
   * as q, k and v are (the same views; they may be one array, as q, k and v may), every element
   * of their heads written. A key/value head's gradient sums those of the heads / kvHeads query
   * heads that read it.
   */
  attentionBackward(q: FloatArray, qv: HeadsView, k: FloatArray, kv: HeadsView, v: FloatArray, vv: HeadsView, p: FloatArray, gout: FloatArray, gq: FloatArray, gk: FloatArray, gv: FloatArray, dims: AttentionDims): void;

  /** y = (x - mean) * rstd * gamma + beta over rows of length cols; saves mean and rstd per row. */
  layerNorm(x: FloatArray, gamma: FloatArray, beta: FloatArray, rows: number, cols: number, eps: number, out: FloatArray, mean: FloatArray, rstd: FloatArray): void;
  /** Writes gx; ACCUMULATES into ggamma and gbeta (callers zero them first). */
  layerNormBackward(x: FloatArray, gamma: FloatArray, mean: FloatArray, rstd: FloatArray, gy: FloatArray, rows: number, cols: number, gx: FloatArray, ggamma: FloatArray, gbeta: FloatArray): void;

  /**
   * RMSNorm as HF's LlamaRMSNorm: y = gamma * (x * rstd) over rows of length cols, rstd =
   * 1 / sqrt(mean(x^2) + eps); saves rstd per row.
   */
  rmsNorm(x: FloatArray, gamma: FloatArray, rows: number, cols: number, eps: number, out: FloatArray, rstd: FloatArray): void;
  /** Writes gx; ACCUMULATES into ggamma (callers zero it first). */
  rmsNormBackward(x: FloatArray, gamma: FloatArray, rstd: FloatArray, gy: FloatArray, rows: number, cols: number, gx: FloatArray, ggamma: FloatArray): void;

  /**
   * Rotary position embeddings as HF's apply_rotary_pos_emb: x is [batch, t, heads * d], each row
   * `heads` heads of size d (even) side by side; cos and sin are [t, d]. Per head, with half =
   * d / 2 and rotateHalf(x) = cat(-x[half:], x[:half]): out = x * cos[t] + rotateHalf(x) * sin[t].
   * With backward, x is the output's gradient and out gets the input's, by the transposed rule
   * out = x * cos[t] + rotateHalfT(x * sin[t]), rotateHalfT(u) = cat(u[half:], -u[:half]).
   * out may be x.
   */
  rotary(x: FloatArray, cos: FloatArray, sin: FloatArray, batch: number, t: number, heads: number, d: number, out: FloatArray, backward: boolean): void;

  /** out[i, :] = table[ids[i], :]; throws a RangeError naming the bad id if any is outside [0, vocab). */
  gather(table: FloatArray, vocab: number, cols: number, ids: Int32Array, out: FloatArray): void;
  /** gtable[ids[i], :] += gy[i, :] (accumulates). */
  scatterAdd(gy: FloatArray, ids: Int32Array, cols: number, gtable: FloatArray): void;

  /**
   * Cross-entropy of logits [rows, cols] against targets; rows whose target is ignoreIndex are
   * skipped. Writes lse[row] (log-sum-exp; 0 for ignored rows) and returns the SUM of the
   * per-row losses (caller divides by the count of non-ignored rows).
   */
  crossEntropy(logits: FloatArray, targets: Int32Array, rows: number, cols: number, ignoreIndex: number, lse: FloatArray): number;
  /** gx[row] = scale * (softmax(logits[row]) - onehot(target)); zeros for ignored rows. */
  crossEntropyBackward(logits: FloatArray, targets: Int32Array, lse: FloatArray, rows: number, cols: number, ignoreIndex: number, scale: number, gx: FloatArray): void;

  /**
   * Dropout keep-mask scaled: out[i] = u(seed, i) >= p ? 1 / (1 - p) : 0, where u is the
   * counter-based hash in rng.ts (`hashUniform`), identical on every backend.
   */
  dropoutMask(seed: number, p: number, out: FloatArray): void;

  /** Sum of squares (float64 accumulation); NaN/Inf anywhere makes the result non-finite. */
  sumSquares(x: FloatArray): number;

  /**
   * One AdamW step in place (decoupled weight decay, bias-corrected):
   * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr * (mhat / (sqrt(vhat) + eps) + wd * p),
   * with mhat = m / (1 - b1^step), vhat = v / (1 - b2^step). gradScale multiplies g first.
   */
  adamw(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number, gradScale: number): void;
}
