// Row-wise neural-network kernels: softmax / log-softmax (+ backward), masked attention softmax,
// layer norm (+ backward) and cross-entropy (+ backward). Each row is processed by one thread
// while it is hot in cache; sums accumulate in double; OpenMP splits the rows.
#include <cmath>

#include "kernels.h"
#include "vmath.h"

namespace ligo {

namespace {

// --- per-row helpers (multiversioned; each row is hot in L1 while a thread works on it) ---

LIGO_SIMD float rowMax(const float* x, i64 n) { return vmaxOf(x, n); }

/** y[j] = exp(x[j] - m) (y may be x); returns the sum in double. */
LIGO_SIMD double expShifted(const float* x, float* y, i64 n, float m) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (i64 j = 0; j < n; j++) {
    const float e = vexp(x[j] - m);
    y[j] = e;
    s += double(e);
  }
  return s;
}

/** sum_j exp(x[j] - m) without storing. */
LIGO_SIMD double sumExpShifted(const float* x, i64 n, float m) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (i64 j = 0; j < n; j++) s += double(vexp(x[j] - m));
  return s;
}

LIGO_SIMD void scaleRow(float* y, i64 n, float f) {
  for (i64 j = 0; j < n; j++) y[j] *= f;
}

LIGO_SIMD void subtractRow(const float* x, float* y, i64 n, float m, float logSum) {
  for (i64 j = 0; j < n; j++) y[j] = (x[j] - m) - logSum;
}

LIGO_SIMD void softmaxBackwardRow(const float* y, const float* gy, float* gx, i64 n, bool log) {
  double s = 0.0;
  if (log) {
#pragma omp simd reduction(+ : s)
    for (i64 j = 0; j < n; j++) s += double(gy[j]);
    const float sf = float(s);
    for (i64 j = 0; j < n; j++) gx[j] = gy[j] - vexp(y[j]) * sf;
  } else {
#pragma omp simd reduction(+ : s)
    for (i64 j = 0; j < n; j++) s += double(gy[j]) * double(y[j]);
    const float sf = float(s);
    for (i64 j = 0; j < n; j++) gx[j] = y[j] * (gy[j] - sf);
  }
}

/**
 * One attention row in place: keys j < limit pass the causal test, km (or null) masks keys with
 * 0. Scaled scores, masked entries -inf, softmax; an entirely masked row becomes zeros.
 */
LIGO_SIMD void maskedSoftmaxRow(float* s, i64 tk, i64 limit, float scale, const int32_t* km) {
  float m = -INFINITY;
  if (km) {
#pragma omp simd reduction(max : m)
    for (i64 j = 0; j < limit; j++) {
      const float v = km[j] != 0 ? s[j] * scale : -INFINITY;
      s[j] = v;
      m = v > m ? v : m;
    }
  } else {
#pragma omp simd reduction(max : m)
    for (i64 j = 0; j < limit; j++) {
      const float v = s[j] * scale;
      s[j] = v;
      m = v > m ? v : m;
    }
  }
  for (i64 j = limit; j < tk; j++) s[j] = 0.0f;
  if (m == -INFINITY) {  // every key masked (or every live score -inf): zeros, never NaN
    for (i64 j = 0; j < limit; j++) s[j] = 0.0f;
    return;
  }
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (i64 j = 0; j < limit; j++) {
    const float e = s[j] == -INFINITY ? 0.0f : vexp(s[j] - m);
    s[j] = e;
    sum += double(e);
  }
  const float inv = float(1.0 / sum);
  for (i64 j = 0; j < limit; j++) s[j] *= inv;
}

LIGO_SIMD void layerNormRow(const float* x, const float* gamma, const float* beta, i64 n, float eps, float* y,
                            float* mean, float* rstd) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (i64 j = 0; j < n; j++) s += double(x[j]);
  const double mu = s / double(n);
  double v = 0.0;
#pragma omp simd reduction(+ : v)
  for (i64 j = 0; j < n; j++) {
    const double d = double(x[j]) - mu;
    v += d * d;
  }
  const float muf = float(mu), rs = float(1.0 / std::sqrt(v / double(n) + double(eps)));
  const float muLo = float(mu - double(muf));  // x - muf is exact near the mean; then - muLo
  *mean = muf;
  *rstd = rs;
  for (i64 j = 0; j < n; j++) y[j] = ((x[j] - muf) - muLo) * rs * gamma[j] + beta[j];
}

/** gx for one row; adds the row's ggamma / gbeta contributions into pg / pb (double). */
LIGO_SIMD void layerNormBackwardRow(const float* x, const float* gamma, float mu, float rs, const float* gy, i64 n,
                                    float* gx, double* pg, double* pb) {
  double sd = 0.0, sdx = 0.0;
#pragma omp simd reduction(+ : sd, sdx)
  for (i64 j = 0; j < n; j++) {
    const float xh = (x[j] - mu) * rs;
    const float dxh = gy[j] * gamma[j];
    sd += double(dxh);
    sdx += double(dxh) * double(xh);
    pg[j] += double(gy[j]) * double(xh);
    pb[j] += double(gy[j]);
  }
  const float a = float(sd / double(n)), c = float(sdx / double(n));
  for (i64 j = 0; j < n; j++) {
    const float xh = (x[j] - mu) * rs;
    gx[j] = rs * (gy[j] * gamma[j] - a - xh * c);
  }
}

LIGO_SIMD void crossEntropyBackwardRow(const float* x, i64 n, i64 t, float lse, float scale, float* g) {
  for (i64 j = 0; j < n; j++) g[j] = scale * (vexp(x[j] - lse) - (j == t ? 1.0f : 0.0f));
}

}  // namespace

void softmax(const float* x, i64 rows, i64 cols, float* out, bool log) {
  parallelFor(rows, rows * cols * kCostTranscendental, [&](i64 b, i64 e) {
    for (i64 r = b; r < e; r++) {
      const float* xr = x + r * cols;
      float* yr = out + r * cols;
      const float m = rowMax(xr, cols);
      if (log)
        subtractRow(xr, yr, cols, m, float(std::log(sumExpShifted(xr, cols, m))));
      else
        scaleRow(yr, cols, float(1.0 / expShifted(xr, yr, cols, m)));
    }
  });
}

void softmaxBackward(const float* y, const float* gy, i64 rows, i64 cols, float* gx, bool log) {
  parallelFor(rows, rows * cols * (log ? kCostTranscendental : 2), [&](i64 b, i64 e) {
    for (i64 r = b; r < e; r++) softmaxBackwardRow(y + r * cols, gy + r * cols, gx + r * cols, cols, log);
  });
}

void maskedSoftmax(float* s, i64 batch, i64 heads, i64 tq, i64 tk, float scale, bool causal, const int32_t* keyMask) {
  const i64 rows = batch * heads * tq;
  parallelFor(rows, rows * tk * kCostTranscendental, [&](i64 b, i64 e) {
    for (i64 row = b; row < e; row++) {
      const i64 i = row % tq, bi = row / (heads * tq);
      // Causal: key j > query i + (tk - tq) is masked, so keys j < limit remain.
      const i64 limit = causal ? std::max<i64>(0, std::min(tk, i + (tk - tq) + 1)) : tk;
      maskedSoftmaxRow(s + row * tk, tk, limit, scale, keyMask ? keyMask + bi * tk : nullptr);
    }
  });
}

void layerNorm(const float* x, const float* gamma, const float* beta, i64 rows, i64 cols, float eps, float* out,
               float* mean, float* rstd) {
  parallelFor(rows, rows * cols * 4, [&](i64 b, i64 e) {
    for (i64 r = b; r < e; r++) layerNormRow(x + r * cols, gamma, beta, cols, eps, out + r * cols, mean + r, rstd + r);
  });
}

void layerNormBackward(const float* x, const float* gamma, const float* mean, const float* rstd, const float* gy,
                       i64 rows, i64 cols, float* gx, float* ggamma, float* gbeta) {
  // Each thread sums its rows' ggamma / gbeta contributions into its own slot; slots are added
  // in thread order at the end, so results do not depend on scheduling.
  const int slots = maxThreads();
  const size_t slot = 2 * size_t(cols);
  std::vector<double> partial(size_t(slots) * slot, 0.0);
  parallelFor(rows, rows * cols * 4, [&](i64 b, i64 e) {
    double* pg = partial.data() + size_t(omp_get_thread_num()) * slot;
    for (i64 r = b; r < e; r++)
      layerNormBackwardRow(x + r * cols, gamma, mean[r], rstd[r], gy + r * cols, cols, gx + r * cols, pg, pg + cols);
  });
  for (i64 j = 0; j < cols; j++) {
    double g = 0.0, bsum = 0.0;
    for (int t = 0; t < slots; t++) {
      g += partial[size_t(t) * slot + size_t(j)];
      bsum += partial[size_t(t) * slot + size_t(cols + j)];
    }
    ggamma[j] += float(g);
    gbeta[j] += float(bsum);
  }
}

double crossEntropy(const float* logits, const int32_t* targets, i64 rows, i64 cols, i64 ignoreIndex, float* lse) {
  for (i64 r = 0; r < rows; r++) {
    const i64 t = targets[r];
    if (t != ignoreIndex && (t < 0 || t >= cols))
      throwRange("crossEntropy: target " + std::to_string(t) + " at row " + std::to_string(r) +
                 " is out of range for " + std::to_string(cols) + " classes");
  }
  return parallelSum(rows, rows * cols * kCostTranscendental, [&](i64 b, i64 e) {
    double loss = 0.0;
    for (i64 r = b; r < e; r++) {
      const i64 t = targets[r];
      if (t == ignoreIndex) {
        lse[r] = 0.0f;
        continue;
      }
      const float* xr = logits + r * cols;
      const float m = rowMax(xr, cols);
      const double logSum = std::log(sumExpShifted(xr, cols, m));
      lse[r] = float(double(m) + logSum);
      loss += (double(m) - double(xr[t])) + logSum;  // avoids cancellation in lse - logit[t]
    }
    return loss;
  });
}

void crossEntropyBackward(const float* logits, const int32_t* targets, const float* lse, i64 rows, i64 cols,
                          i64 ignoreIndex, float scale, float* gx) {
  parallelFor(rows, rows * cols * kCostTranscendental, [&](i64 b, i64 e) {
    for (i64 r = b; r < e; r++) {
      const i64 t = targets[r];
      float* gr = gx + r * cols;
      if (t == ignoreIndex)
        std::fill(gr, gr + cols, 0.0f);
      else
        crossEntropyBackwardRow(logits + r * cols, cols, t, lse[r], scale, gr);
    }
  });
}

}  // namespace ligo
