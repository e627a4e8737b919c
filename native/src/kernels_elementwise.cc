// Elementwise kernels: fill, unary (+ backward), broadcasting binary, where, dropout masks,
// sum of squares and the AdamW update. Loops are written so that GCC vectorises them at -O3;
// transcendental functions come from vmath.h (vectorisable) and OpenMP splits large arrays.
#include <cmath>
#include <cstring>

#include "kernels.h"
#include "vmath.h"

namespace ligo {

namespace {

constexpr i64 kAlign = 16;  // chunk boundaries for parallel loops (one cache line of floats)

/** Runs f(begin, end) over [0, n) in parallel chunks; `cost` scales the work estimate. */
template <class F>
inline void forChunks(i64 n, i64 cost, F f) {
  parallelFor(n, n * cost, f, kAlign);
}

constexpr float kTwoOverSqrtPi = 1.12837916709551257390f;  // 2/sqrt(pi)
constexpr float kGeluTanhC = 0.79788456080286535588f;      // sqrt(2/pi)
constexpr float kGeluTanhA = 0.044715f;

LIGO_SIMD void fillRange(float* out, i64 n, float value) {
  for (i64 i = 0; i < n; i++) out[i] = value;
}

// Unary ops: each op's forward y = f(x) beside its backward gx = gy f'(x), which may read the
// input x and the output y; p is the op's param. The same functions as the rules of
// src/tensor/reference.ts (UNARY), op for op, in float32: with vmath.h's vectorisable
// exp/tanh/erf/sigmoid, and where noted in a form more accurate in float32.
// `cost` is the work per element relative to a plain copy (the parallel threshold). Every
// backward reads its inputs before gx is stored, so gx may alias any of them.
namespace unary {

struct Exp {
  static constexpr i64 cost = kCostTranscendental;
  static LIGO_INLINE float forward(float x, float) { return vexp(x); }
  static LIGO_INLINE float backward(float gy, float, float y, float) { return gy * y; }
};
struct Log {
  static constexpr i64 cost = kCostTranscendental;
  static LIGO_INLINE float forward(float x, float) { return std::log(x); }
  static LIGO_INLINE float backward(float gy, float x, float, float) { return gy / x; }
};
struct Sqrt {
  static constexpr i64 cost = 2;
  static LIGO_INLINE float forward(float x, float) { return std::sqrt(x); }
  static LIGO_INLINE float backward(float gy, float, float y, float) { return gy * 0.5f / y; }
};
struct Rsqrt {
  static constexpr i64 cost = 2;
  static LIGO_INLINE float forward(float x, float) { return 1.0f / std::sqrt(x); }
  static LIGO_INLINE float backward(float gy, float, float y, float) { return gy * -0.5f * y * y * y; }
};
struct Tanh {
  static constexpr i64 cost = kCostTranscendental;
  static LIGO_INLINE float forward(float x, float) { return vtanh(x); }
  // (1 - y)(1 + y): no cancellation when |y| is near 1
  static LIGO_INLINE float backward(float gy, float, float y, float) { return gy * ((1.0f - y) * (1.0f + y)); }
};
struct Erf {
  static constexpr i64 cost = kCostTranscendental;
  static LIGO_INLINE float forward(float x, float) { return verf(x); }
  static LIGO_INLINE float backward(float gy, float x, float, float) { return gy * kTwoOverSqrtPi * vexp(-x * x); }
};
struct Neg {
  static constexpr i64 cost = 1;
  static LIGO_INLINE float forward(float x, float) { return -x; }
  static LIGO_INLINE float backward(float gy, float, float, float) { return -gy; }
};
struct GeluErf {  // x Phi(x); derivative Phi(x) + x phi(x)
  static constexpr i64 cost = kCostTranscendental;
  static LIGO_INLINE float forward(float x, float) { return vgeluErf(x); }
  static LIGO_INLINE float backward(float gy, float x, float, float) {
    float density;
    const float cdf = vnormCdf(x, &density);
    return gy * (cdf + x * density);
  }
};
struct GeluTanh {
  // 0.5 x (1 + tanh u) = x sigmoid(2u), accurate in the left tail. With s = sigmoid(2u):
  // 0.5 (1 + tanh u) = s and 0.5 (1 - tanh^2 u) = 2 s (1 - s).
  static constexpr i64 cost = kCostTranscendental;
  static LIGO_INLINE float forward(float x, float) {
    float unused;
    return x * vsigmoid(2.0f * kGeluTanhC * (x + kGeluTanhA * x * x * x), &unused);
  }
  static LIGO_INLINE float backward(float gy, float x, float, float) {
    float c;
    const float s = vsigmoid(2.0f * kGeluTanhC * (x + kGeluTanhA * x * x * x), &c);
    const float du = kGeluTanhC * (1.0f + 3.0f * kGeluTanhA * x * x);
    return gy * (s + 2.0f * x * s * c * du);
  }
};
struct Pow {  // x^2 as a product; d/dx x^0 = 0 (not 0 * x^-1, which is NaN at 0)
  static constexpr i64 cost = kCostTranscendental;
  static LIGO_INLINE float forward(float x, float p) { return p == 2.0f ? x * x : std::pow(x, p); }
  static LIGO_INLINE float backward(float gy, float x, float, float p) {
    return p == 0.0f ? gy * 0.0f : p == 2.0f ? gy * 2.0f * x : gy * p * std::pow(x, p - 1.0f);
  }
};
struct Scale {
  static constexpr i64 cost = 1;
  static LIGO_INLINE float forward(float x, float p) { return x * p; }
  static LIGO_INLINE float backward(float gy, float, float, float p) { return gy * p; }
};
struct AddScalar {
  static constexpr i64 cost = 1;
  static LIGO_INLINE float forward(float x, float p) { return x + p; }
  static LIGO_INLINE float backward(float gy, float, float, float) { return gy; }
};
struct Relu {  // NaN propagates; the subgradient at 0 is 0
  static constexpr i64 cost = 1;
  static LIGO_INLINE float forward(float x, float) { return x <= 0.0f ? 0.0f : x; }
  static LIGO_INLINE float backward(float gy, float x, float, float) { return x > 0.0f ? gy : 0.0f; }
};
struct Silu {  // x s; derivative s (1 + x (1 - s)), with 1 - s from vsigmoid (accurate where s is near 1)
  static constexpr i64 cost = kCostTranscendental;
  static LIGO_INLINE float forward(float x, float) {
    float unused;
    return x * vsigmoid(x, &unused);
  }
  static LIGO_INLINE float backward(float gy, float x, float, float) {
    float c;
    const float s = vsigmoid(x, &c);
    return gy * (s * (1.0f + x * c));
  }
};

}  // namespace unary

/** Per-op cost relative to a plain copy, for the parallel threshold. */
i64 unaryCost(UnaryOp op) {
  switch (op) {
#define LIGO_COST(name) case UnaryOp::name: return unary::name::cost;
    LIGO_UNARY_OPS(LIGO_COST)
#undef LIGO_COST
    default: return 1;
  }
}

template <class Op>
LIGO_INLINE void unaryLoop(const float* x, float* out, i64 n, float p) {
  for (i64 i = 0; i < n; i++) out[i] = Op::forward(x[i], p);
}

template <class Op>
LIGO_INLINE void unaryBackwardLoop(const float* x, const float* y, const float* gy, float* gx, i64 n, float p) {
  for (i64 i = 0; i < n; i++) gx[i] = Op::backward(gy[i], x[i], y[i], p);
}

LIGO_SIMD void unaryRange(UnaryOp op, const float* x, float* out, i64 n, float param) {
  switch (op) {
#define LIGO_FORWARD(name) case UnaryOp::name: return unaryLoop<unary::name>(x, out, n, param);
    LIGO_UNARY_OPS(LIGO_FORWARD)
#undef LIGO_FORWARD
    default: return;
  }
}

LIGO_SIMD void unaryBackwardRange(UnaryOp op, const float* x, const float* y, const float* gy, float* gx, i64 n,
                                  float param) {
  switch (op) {
#define LIGO_BACKWARD(name) case UnaryOp::name: return unaryBackwardLoop<unary::name>(x, y, gy, gx, n, param);
    LIGO_UNARY_OPS(LIGO_BACKWARD)
#undef LIGO_BACKWARD
    default: return;
  }
}

}  // namespace

void fill(float* out, i64 n, float value) {
  forChunks(n, 1, [=](i64 b, i64 e) { fillRange(out + b, e - b, value); });
}

void unary(UnaryOp op, const float* x, float* out, i64 n, float param) {
  if (op < UnaryOp::Exp || op >= UnaryOp::Count) throwRange("unary: unknown op " + std::to_string(int(op)));
  forChunks(n, unaryCost(op), [=](i64 b, i64 e) { unaryRange(op, x + b, out + b, e - b, param); });
}

void unaryBackward(UnaryOp op, const float* x, const float* y, const float* gy, float* gx, i64 n, float param) {
  if (op < UnaryOp::Exp || op >= UnaryOp::Count) throwRange("unaryBackward: unknown op " + std::to_string(int(op)));
  forChunks(n, unaryCost(op), [=](i64 b, i64 e) { unaryBackwardRange(op, x + b, y + b, gy + b, gx + b, e - b, param); });
}

// ---------------------------------------------------------------------------------------------
// binary

namespace {

struct AddF { float operator()(float a, float b) const { return a + b; } };
struct SubF { float operator()(float a, float b) const { return a - b; } };
struct MulF { float operator()(float a, float b) const { return a * b; } };
struct DivF { float operator()(float a, float b) const { return a / b; } };

/** One innermost run of n outputs; the common stride patterns get their own vectorisable loop. */
template <class Op>
LIGO_INLINE void binaryRunOp(const float* a, i64 ia, const float* b, i64 ib, float* o, i64 n) {
  const Op op;
  if (ia == 1 && ib == 1) {
    for (i64 i = 0; i < n; i++) o[i] = op(a[i], b[i]);
  } else if (ia == 1 && ib == 0) {
    const float bv = b[0];
    for (i64 i = 0; i < n; i++) o[i] = op(a[i], bv);
  } else if (ia == 0 && ib == 1) {
    const float av = a[0];
    for (i64 i = 0; i < n; i++) o[i] = op(av, b[i]);
  } else {
    for (i64 i = 0; i < n; i++) o[i] = op(a[i * ia], b[i * ib]);
  }
}

LIGO_SIMD void binaryRun(BinaryOp op, const float* a, i64 ia, const float* b, i64 ib, float* o, i64 n) {
  switch (op) {
    case BinaryOp::Add: return binaryRunOp<AddF>(a, ia, b, ib, o, n);
    case BinaryOp::Sub: return binaryRunOp<SubF>(a, ia, b, ib, o, n);
    case BinaryOp::Mul: return binaryRunOp<MulF>(a, ia, b, ib, o, n);
    case BinaryOp::Div: return binaryRunOp<DivF>(a, ia, b, ib, o, n);
    default: return;
  }
}

void binaryImpl(BinaryOp op, const float* a, const float* b, float* out, const StridedShape& d) {
  const int r = d.rank;
  const i64 inner = d.shape[r - 1], ia = d.sa[r - 1], ib = d.sb[r - 1];
  i64 rows = 1;
  for (int j = 0; j < r - 1; j++) rows *= d.shape[j];

  if (rows == 1) {  // one run (equal shapes or a scalar operand): split the run itself
    parallelFor(
        inner, inner,
        [&](i64 s, i64 e) { binaryRun(op, a + s * ia, ia, b + s * ib, ib, out + s, e - s); }, kAlign);
    return;
  }
  parallelFor(rows, rows * inner, [&](i64 rb, i64 re) {
    // Decompose the first row index into a multi-index, then advance it like an odometer.
    i64 idx[kMaxRank] = {0};
    i64 offA = 0, offB = 0, rem = rb;
    for (int j = r - 2; j >= 0; j--) {
      idx[j] = rem % d.shape[j];
      rem /= d.shape[j];
      offA += idx[j] * d.sa[j];
      offB += idx[j] * d.sb[j];
    }
    for (i64 row = rb; row < re; row++) {
      binaryRun(op, a + offA, ia, b + offB, ib, out + row * inner, inner);
      for (int j = r - 2; j >= 0; j--) {
        offA += d.sa[j];
        offB += d.sb[j];
        if (++idx[j] < d.shape[j]) break;
        offA -= d.sa[j] * d.shape[j];
        offB -= d.sb[j] * d.shape[j];
        idx[j] = 0;
      }
    }
  });
}

}  // namespace

void binary(BinaryOp op, const float* a, const float* b, float* out, StridedShape dims) {
  const StridedShape d = collapseDims(dims);
  for (int j = 0; j < d.rank; j++)
    if (d.shape[j] == 0) return;
  if (op < BinaryOp::Add || op >= BinaryOp::Count) throwRange("binary: unknown op " + std::to_string(int(op)));
  binaryImpl(op, a, b, out, d);
}

StridedShape collapseDims(const StridedShape& in) {
  StridedShape d;
  for (int j = 0; j < in.rank; j++) {
    if (in.shape[j] == 1) continue;  // size-1 dims never move an offset
    if (in.shape[j] == 0) {          // empty: keep a single zero-size dim
      d.rank = 1;
      d.shape[0] = 0;
      d.sa[0] = d.sb[0] = 0;
      return d;
    }
    const int k = d.rank - 1;
    if (k >= 0 && d.sa[k] == in.sa[j] * in.shape[j] && d.sb[k] == in.sb[j] * in.shape[j]) {
      d.shape[k] *= in.shape[j];  // dim k steps exactly over all of dim j: merge them
      d.sa[k] = in.sa[j];
      d.sb[k] = in.sb[j];
      continue;
    }
    d.shape[d.rank] = in.shape[j];
    d.sa[d.rank] = in.sa[j];
    d.sb[d.rank] = in.sb[j];
    d.rank++;
  }
  if (d.rank == 0) {  // every dim was size 1: one element
    d.rank = 1;
    d.shape[0] = 1;
    d.sa[0] = d.sb[0] = 1;
  }
  return d;
}

// ---------------------------------------------------------------------------------------------

namespace {

LIGO_SIMD void whereFRange(const float* cond, const float* a, const float* b, float* out, i64 n) {
  for (i64 i = 0; i < n; i++) out[i] = cond[i] != 0.0f ? a[i] : b[i];
}

LIGO_SIMD void whereIRange(const int32_t* cond, const float* a, const float* b, float* out, i64 n) {
  for (i64 i = 0; i < n; i++) out[i] = cond[i] != 0 ? a[i] : b[i];
}

/** Must match hash32 in src/tensor/rng.ts bit for bit (murmur3 finaliser over seed and index). */
LIGO_INLINE uint32_t hash32(uint32_t seed, uint32_t i) {
  uint32_t h = (i * 0x9e3779b9u) ^ seed;
  h = (h ^ (h >> 16)) * 0x85ebca6bu;
  h = (h ^ (h >> 13)) * 0xc2b2ae35u;
  return h ^ (h >> 16);
}

LIGO_SIMD void dropoutRange(uint32_t seed, double p, float keep, float* out, i64 begin, i64 end) {
  // u = h / 2^32 is exact in double, so comparing it with p reproduces hashUniform(seed, i) >= p.
  for (i64 i = begin; i < end; i++) {
    const double u = double(hash32(seed, uint32_t(i))) * (1.0 / 4294967296.0);
    out[i] = u >= p ? keep : 0.0f;
  }
}

LIGO_SIMD double sumSquaresRange(const float* x, i64 n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (i64 i = 0; i < n; i++) s += double(x[i]) * double(x[i]);
  return s;
}

struct AdamConsts {
  double lr, beta1, beta2, eps, weightDecay, gradScale, c1, c2, bc1, bc2;
};

// Double arithmetic, rounded once at each store like the reference: the loop is memory-bound,
// and m's running average cancels enough that float rounding would show.
LIGO_SIMD void adamwRange(float* p, const float* g, float* m, float* v, i64 n, AdamConsts k) {
  for (i64 i = 0; i < n; i++) {
    const double gi = double(g[i]) * k.gradScale;
    const double mi = k.beta1 * double(m[i]) + k.c1 * gi;
    const double vi = k.beta2 * double(v[i]) + k.c2 * gi * gi;
    m[i] = float(mi);
    v[i] = float(vi);
    const double pi = p[i];
    p[i] = float(pi - k.lr * ((mi / k.bc1) / (std::sqrt(vi / k.bc2) + k.eps) + k.weightDecay * pi));
  }
}

}  // namespace

void whereF(const float* cond, const float* a, const float* b, float* out, i64 n) {
  forChunks(n, 1, [=](i64 s, i64 e) { whereFRange(cond + s, a + s, b + s, out + s, e - s); });
}

void whereI(const int32_t* cond, const float* a, const float* b, float* out, i64 n) {
  forChunks(n, 1, [=](i64 s, i64 e) { whereIRange(cond + s, a + s, b + s, out + s, e - s); });
}

void dropoutMask(uint32_t seed, double p, float* out, i64 n) {
  const float keep = float(1.0 / (1.0 - p));
  forChunks(n, 4, [=](i64 b, i64 e) { dropoutRange(seed, p, keep, out, b, e); });
}

double sumSquares(const float* x, i64 n) {
  return parallelSum(n, n, [=](i64 b, i64 e) { return sumSquaresRange(x + b, e - b); });
}

void adamw(float* p, const float* g, float* m, float* v, i64 n, double lr, double beta1, double beta2, double eps,
           double weightDecay, double step, double gradScale) {
  const AdamConsts k{lr, beta1, beta2, eps, weightDecay, gradScale, 1.0 - beta1, 1.0 - beta2,
                     1.0 - std::pow(beta1, step), 1.0 - std::pow(beta2, step)};
  forChunks(n, kCostTranscendental, [=](i64 b, i64 e) { adamwRange(p + b, g + b, m + b, v + b, e - b, k); });
}

}  // namespace ligo
