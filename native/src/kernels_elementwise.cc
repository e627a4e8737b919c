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

constexpr float kInvSqrt2Pi = 0.39894228040143267794f;     // 1/sqrt(2*pi)
constexpr float kTwoOverSqrtPi = 1.12837916709551257390f;  // 2/sqrt(pi)
constexpr float kGeluTanhC = 0.79788456080286535588f;      // sqrt(2/pi)
constexpr float kGeluTanhA = 0.044715f;

/** Per-op cost relative to a plain copy, for the parallel threshold. */
i64 unaryCost(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: case UnaryOp::Scale: case UnaryOp::AddScalar: case UnaryOp::Relu: return 1;
    case UnaryOp::Sqrt: case UnaryOp::Rsqrt: return 2;
    default: return kCostTranscendental;
  }
}

LIGO_SIMD void fillRange(float* out, i64 n, float value) {
  for (i64 i = 0; i < n; i++) out[i] = value;
}

LIGO_SIMD void unaryRange(UnaryOp op, const float* x, float* out, i64 n, float param) {
  switch (op) {
    case UnaryOp::Exp: for (i64 i = 0; i < n; i++) out[i] = vexp(x[i]); break;
    case UnaryOp::Log: for (i64 i = 0; i < n; i++) out[i] = std::log(x[i]); break;
    case UnaryOp::Sqrt: for (i64 i = 0; i < n; i++) out[i] = std::sqrt(x[i]); break;
    case UnaryOp::Rsqrt: for (i64 i = 0; i < n; i++) out[i] = 1.0f / std::sqrt(x[i]); break;
    case UnaryOp::Tanh: for (i64 i = 0; i < n; i++) out[i] = vtanh(x[i]); break;
    case UnaryOp::Erf: for (i64 i = 0; i < n; i++) out[i] = verf(x[i]); break;
    case UnaryOp::Neg: for (i64 i = 0; i < n; i++) out[i] = -x[i]; break;
    case UnaryOp::GeluErf: for (i64 i = 0; i < n; i++) out[i] = vgeluErf(x[i]); break;
    case UnaryOp::GeluTanh:  // 0.5 x (1 + tanh u) = x sigmoid(2u), accurate in the left tail
      for (i64 i = 0; i < n; i++) {
        const float v = x[i];
        float unused;
        out[i] = v * vsigmoid(2.0f * kGeluTanhC * (v + kGeluTanhA * v * v * v), &unused);
      }
      break;
    case UnaryOp::Pow:
      if (param == 2.0f)
        for (i64 i = 0; i < n; i++) out[i] = x[i] * x[i];
      else
        for (i64 i = 0; i < n; i++) out[i] = std::pow(x[i], param);
      break;
    case UnaryOp::Scale: for (i64 i = 0; i < n; i++) out[i] = x[i] * param; break;
    case UnaryOp::AddScalar: for (i64 i = 0; i < n; i++) out[i] = x[i] + param; break;
    case UnaryOp::Relu: for (i64 i = 0; i < n; i++) out[i] = x[i] <= 0.0f ? 0.0f : x[i]; break;  // NaN propagates
    case UnaryOp::Silu:
      for (i64 i = 0; i < n; i++) {
        float unused;
        out[i] = x[i] * vsigmoid(x[i], &unused);
      }
      break;
    default: break;
  }
}

LIGO_SIMD void unaryBackwardRange(UnaryOp op, const float* x, const float* y, const float* gy, float* gx, i64 n,
                                  float param) {
  switch (op) {
    case UnaryOp::Exp: for (i64 i = 0; i < n; i++) gx[i] = gy[i] * y[i]; break;
    case UnaryOp::Log: for (i64 i = 0; i < n; i++) gx[i] = gy[i] / x[i]; break;
    case UnaryOp::Sqrt: for (i64 i = 0; i < n; i++) gx[i] = gy[i] * 0.5f / y[i]; break;
    case UnaryOp::Rsqrt: for (i64 i = 0; i < n; i++) gx[i] = gy[i] * -0.5f * y[i] * y[i] * y[i]; break;
    case UnaryOp::Tanh:  // (1 - y)(1 + y): no cancellation when |y| is near 1
      for (i64 i = 0; i < n; i++) gx[i] = gy[i] * ((1.0f - y[i]) * (1.0f + y[i]));
      break;
    case UnaryOp::Erf: for (i64 i = 0; i < n; i++) gx[i] = gy[i] * kTwoOverSqrtPi * vexp(-x[i] * x[i]); break;
    case UnaryOp::Neg: for (i64 i = 0; i < n; i++) gx[i] = -gy[i]; break;
    case UnaryOp::GeluErf:  // Phi(x) + x phi(x)
      for (i64 i = 0; i < n; i++) {
        const float v = x[i];
        gx[i] = gy[i] * (vnormCdf(v) + v * vexp(-0.5f * v * v) * kInvSqrt2Pi);
      }
      break;
    case UnaryOp::GeluTanh:
      // With s = sigmoid(2u): 0.5 (1 + tanh u) = s and 0.5 (1 - tanh^2 u) = 2 s (1 - s).
      for (i64 i = 0; i < n; i++) {
        const float v = x[i];
        float c;
        const float s = vsigmoid(2.0f * kGeluTanhC * (v + kGeluTanhA * v * v * v), &c);
        const float du = kGeluTanhC * (1.0f + 3.0f * kGeluTanhA * v * v);
        gx[i] = gy[i] * (s + 2.0f * v * s * c * du);
      }
      break;
    case UnaryOp::Pow:
      if (param == 0.0f)  // d/dx x^0 = 0 (not 0 * x^-1, which is NaN at 0)
        for (i64 i = 0; i < n; i++) gx[i] = gy[i] * 0.0f;
      else if (param == 2.0f)
        for (i64 i = 0; i < n; i++) gx[i] = gy[i] * 2.0f * x[i];
      else
        for (i64 i = 0; i < n; i++) gx[i] = gy[i] * param * std::pow(x[i], param - 1.0f);
      break;
    case UnaryOp::Scale: for (i64 i = 0; i < n; i++) gx[i] = gy[i] * param; break;
    case UnaryOp::AddScalar: for (i64 i = 0; i < n; i++) gx[i] = gy[i]; break;
    case UnaryOp::Relu: for (i64 i = 0; i < n; i++) gx[i] = x[i] > 0.0f ? gy[i] : 0.0f; break;
    case UnaryOp::Silu:  // s (1 + x (1 - s)), with 1 - s from vsigmoid (accurate where s is near 1)
      for (i64 i = 0; i < n; i++) {
        float c;
        const float s = vsigmoid(x[i], &c);
        gx[i] = gy[i] * (s * (1.0f + x[i] * c));
      }
      break;
    default: break;
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
