// Row-wise neural-network kernels: softmax / log-softmax (+ backward), layer norm and RMS norm
// (+ backward), rotary position embeddings, cross-entropy (+ backward), and multi-head attention
// (+ backward). Each row is processed by one thread while it is hot in cache; sums accumulate in
// double; OpenMP splits the rows. Attention works one (batch item, head) at a time on one thread:
// its products (oneDNN's sgemm, reading each head in place from rows that hold every head, so no
// head split or merge copies) and its softmax run while the head's scores are in that core's
// cache. Its backward pass works one (batch item, key/value head) at a time, with the query heads
// that read it (one for plain multi-head attention), so no two threads write the same gk or gv.
#include <dnnl.h>

#include <cmath>
#include <vector>

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

/** Keys j < limit pass the causal test for query i (key j > i + (tk - tq) is masked). */
i64 causalLimit(const AttentionDims& a, i64 i) { return a.causal ? std::max<i64>(0, std::min(a.tk, i + (a.tk - a.tq) + 1)) : a.tk; }

/**
 * One head's tq x tk scores in place become probabilities: keys past the causal limit, and keys
 * km (or null) masks with 0, get 0; the rest softmax(scale * score); a row with every key masked
 * becomes zeros. Three passes over the whole block (row maxima, exps, sums and scaling) rather
 * than three passes per row: a row of 64 keys is 4 vectors, so row by row the exps wait on the
 * reductions' latency, where across rows they are independent (twice as fast at 64 x 64;
 * BENCHMARKS.md, "Attention's softmax over the head's block"). The exps run to the limit rounded
 * up to whole vectors of kLanes, the keys past it selected away, so no row ends in scalar code.
 * maxima is tq floats of scratch.
 */
LIGO_SIMD void maskedSoftmaxBlock(float* s, const AttentionDims& a, const int32_t* km, float* maxima) {
  constexpr i64 kLanes = 16;  // floats in an AVX-512 vector (two at AVX2)
  const i64 tk = a.tk;
  const float scale = a.scale;
  // Where row i's exps stop: its causal limit rounded up to whole vectors, within the row.
  const auto vectorEnd = [&](i64 limit) { return std::min(tk, (limit + kLanes - 1) / kLanes * kLanes); };
  for (i64 i = 0; i < a.tq; i++) {
    float* r = s + i * tk;
    const i64 limit = causalLimit(a, i);
    float m = -INFINITY;
    if (km) {
#pragma omp simd reduction(max : m)
      for (i64 j = 0; j < limit; j++) {
        const float v = km[j] != 0 ? r[j] * scale : -INFINITY;
        r[j] = v;
        m = v > m ? v : m;
      }
    } else {
#pragma omp simd reduction(max : m)
      for (i64 j = 0; j < limit; j++) {
        const float v = r[j] * scale;
        r[j] = v;
        m = v > m ? v : m;
      }
    }
    maxima[i] = m;
  }
  for (i64 i = 0; i < a.tq; i++) {
    float* r = s + i * tk;
    const i64 limit = causalLimit(a, i), end = vectorEnd(limit);
    const float m = maxima[i];  // -inf: every key masked, and every entry below selects 0
#pragma omp simd
    for (i64 j = 0; j < end; j++) {
      const float e = vexp(r[j] - m);
      r[j] = j < limit && r[j] != -INFINITY ? e : 0.0f;
    }
    for (i64 j = end; j < tk; j++) r[j] = 0.0f;
  }
  for (i64 i = 0; i < a.tq; i++) {
    if (maxima[i] == -INFINITY) continue;  // zeros, never NaN
    float* r = s + i * tk;
    const i64 end = vectorEnd(causalLimit(a, i));
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (i64 j = 0; j < end; j++) sum += double(r[j]);
    const float inv = float(1.0 / sum);
#pragma omp simd
    for (i64 j = 0; j < end; j++) r[j] *= inv;
  }
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

LIGO_SIMD void rmsNormRow(const float* x, const float* gamma, i64 n, float eps, float* y, float* rstd) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (i64 j = 0; j < n; j++) s += double(x[j]) * double(x[j]);
  const float rs = float(1.0 / std::sqrt(s / double(n) + double(eps)));
  *rstd = rs;
  for (i64 j = 0; j < n; j++) y[j] = gamma[j] * (x[j] * rs);
}

/** gx for one row; adds the row's ggamma contributions into pg (double). */
LIGO_SIMD void rmsNormBackwardRow(const float* x, const float* gamma, float rs, const float* gy, i64 n, float* gx,
                                  double* pg) {
  double sdx = 0.0;
#pragma omp simd reduction(+ : sdx)
  for (i64 j = 0; j < n; j++) {
    const float xh = x[j] * rs;
    sdx += double(gy[j] * gamma[j]) * double(xh);
    pg[j] += double(gy[j]) * double(xh);
  }
  const float c = float(sdx / double(n));
  for (i64 j = 0; j < n; j++) gx[j] = rs * (gy[j] * gamma[j] - (x[j] * rs) * c);
}

/**
 * One row of heads heads of size d at one position (cos and sin its [d] tables): forward, y =
 * x * cos + rotateHalf(x) * sin; backward, y = x * cos + rotateHalfT(x * sin). y may be x.
 */
LIGO_SIMD void rotaryRow(const float* x, const float* cos, const float* sin, i64 heads, i64 d, float* y, bool backward) {
  const i64 half = d / 2;
  for (i64 h = 0; h < heads; h++) {
    const float* xh = x + h * d;
    float* yh = y + h * d;
    if (backward) {
      for (i64 i = 0; i < half; i++) {
        const float lo = xh[i], hi = xh[half + i];
        yh[i] = lo * cos[i] + hi * sin[half + i];
        yh[half + i] = hi * cos[half + i] - lo * sin[i];
      }
    } else {
      for (i64 i = 0; i < half; i++) {
        const float lo = xh[i], hi = xh[half + i];
        yh[i] = lo * cos[i] - hi * sin[i];
        yh[half + i] = hi * cos[half + i] + lo * sin[half + i];
      }
    }
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

namespace {

/** One (batch item, head)'s blocks: row t of a head starts at base + t * rowStride. */
struct HeadBlocks {
  i64 b, h, kh;  // batch item, query head, and the key/value head it reads
  HeadBlocks(const AttentionDims& a, i64 item) : b(item / a.heads), h(item % a.heads), kh(h / (a.heads / a.kvHeads)) {}
  template <class T>
  T* at(T* x, HeadsView view, i64 rows, i64 d, i64 head) const { return x + view.offset + b * rows * view.rowStride + head * d; }
};

/**
 * Runs f(item) for every item < batch * units, one thread per item: units is heads (an item is
 * one query head) or kvHeads (an item is one key/value head and its group of query heads).
 */
template <class F>
void forEachHead(const AttentionDims& a, i64 units, F&& f) {
  const i64 items = a.batch * units;
  parallelFor(items, a.batch * a.heads * a.tq * a.tk * (a.d + kCostTranscendental), [&](i64 b, i64 e) {
    for (i64 it = b; it < e; it++) f(it);
  });
}

/**
 * One query head's gradients: writes gq; writes gk and gv, or with accumulate adds to them (the
 * group's later query heads). ds is tq x tk scratch.
 */
void headBackward(const float* q, HeadsView qv, const float* k, HeadsView kv, const float* v, HeadsView vv, const float* p,
                  const float* gout, float* gq, float* gk, float* gv, const AttentionDims& a, const HeadBlocks& hb,
                  bool accumulate, float* ds) {
  const HeadsView ov{0, a.heads * a.d};
  const float* pi = p + (hb.b * a.heads + hb.h) * a.tq * a.tk;
  const float* go = hb.at(gout, ov, a.tq, a.d, hb.h);
  float* gqi = hb.at(gq, qv, a.tq, a.d, hb.h);
  float* gki = hb.at(gk, kv, a.tk, a.d, hb.kh);
  float* gvi = hb.at(gv, vv, a.tk, a.d, hb.kh);
  if (a.tk == 0) {  // no keys: the output was zeros, nothing flows back to q
    for (i64 i = 0; i < a.tq; i++)
      for (i64 c = 0; c < a.d; c++) gqi[i * qv.rowStride + c] = 0.0f;
    return;
  }
  if (a.tq == 0) {  // no queries: nothing flows back to k or v
    for (i64 j = 0; j < a.tk; j++)
      for (i64 c = 0; c < a.d; c++) gki[j * kv.rowStride + c] = gvi[j * vv.rowStride + c] = 0.0f;
    return;
  }
  const float beta = accumulate ? 1.0f : 0.0f;
  // dP = dO V^T; dS = softmax backward (before the scale), row by row while hot.
  dnnl_sgemm('N', 'T', a.tq, a.tk, a.d, 1.0f, go, ov.rowStride, hb.at(v, vv, a.tk, a.d, hb.kh), vv.rowStride, 0.0f, ds, a.tk);
  for (i64 i = 0; i < a.tq; i++) softmaxBackwardRow(pi + i * a.tk, ds + i * a.tk, ds + i * a.tk, a.tk, false);
  // dQ = dS K * scale, dK (+)= dS^T Q * scale, dV (+)= P^T dO.
  dnnl_sgemm('N', 'N', a.tq, a.d, a.tk, a.scale, ds, a.tk, hb.at(k, kv, a.tk, a.d, hb.kh), kv.rowStride, 0.0f, gqi, qv.rowStride);
  dnnl_sgemm('T', 'N', a.tk, a.d, a.tq, a.scale, ds, a.tk, hb.at(q, qv, a.tq, a.d, hb.h), qv.rowStride, beta, gki, kv.rowStride);
  dnnl_sgemm('T', 'N', a.tk, a.d, a.tq, 1.0f, pi, a.tk, go, ov.rowStride, beta, gvi, vv.rowStride);
}

}  // namespace

void attention(const float* q, HeadsView qv, const float* k, HeadsView kv, const float* v, HeadsView vv,
               const int32_t* keyMask, float* p, float* out, const AttentionDims& a) {
  const HeadsView ov{0, a.heads * a.d};
  if (a.tq == 0) return;
  forEachHead(a, a.heads, [&](i64 item) {
    const HeadBlocks hb(a, item);
    float* pi = p + item * a.tq * a.tk;
    float* oi = hb.at(out, ov, a.tq, a.d, hb.h);
    if (a.d > 0 && a.tk > 0)
      dnnl_sgemm('N', 'T', a.tq, a.tk, a.d, 1.0f, hb.at(q, qv, a.tq, a.d, hb.h), qv.rowStride, hb.at(k, kv, a.tk, a.d, hb.kh),
                 kv.rowStride, 0.0f, pi, a.tk);
    else
      for (i64 j = 0; j < a.tq * a.tk; j++) pi[j] = 0.0f;
    thread_local std::vector<float> maxima;
    maxima.resize(size_t(a.tq));
    maskedSoftmaxBlock(pi, a, keyMask ? keyMask + hb.b * a.tk : nullptr, maxima.data());
    if (a.tk > 0 && a.d > 0)
      dnnl_sgemm('N', 'N', a.tq, a.d, a.tk, 1.0f, pi, a.tk, hb.at(v, vv, a.tk, a.d, hb.kh), vv.rowStride, 0.0f, oi,
                 ov.rowStride);
    else
      for (i64 i = 0; i < a.tq; i++)
        for (i64 c = 0; c < a.d; c++) oi[i * ov.rowStride + c] = 0.0f;
  });
}

void attentionBackward(const float* q, HeadsView qv, const float* k, HeadsView kv, const float* v, HeadsView vv,
                       const float* p, const float* gout, float* gq, float* gk, float* gv, const AttentionDims& a) {
  if (a.d == 0) return;
  const i64 group = a.heads / a.kvHeads;
  forEachHead(a, a.kvHeads, [&](i64 kvItem) {
    thread_local std::vector<float> scratch;
    scratch.resize(size_t(a.tq * a.tk));
    // The group's query heads in turn: the first writes gk and gv, the others add to them.
    const i64 first = kvItem / a.kvHeads * a.heads + kvItem % a.kvHeads * group;
    for (i64 g = 0; g < group; g++)
      headBackward(q, qv, k, kv, v, vv, p, gout, gq, gk, gv, a, HeadBlocks(a, first + g), g > 0, scratch.data());
  });
}

void layerNorm(const float* x, const float* gamma, const float* beta, i64 rows, i64 cols, float eps, float* out,
               float* mean, float* rstd) {
  parallelFor(rows, rows * cols * 4, [&](i64 b, i64 e) {
    for (i64 r = b; r < e; r++) layerNormRow(x + r * cols, gamma, beta, cols, eps, out + r * cols, mean + r, rstd + r);
  });
}

namespace {

/**
 * Runs row(r, partial) for every row, in parallel; each thread adds its rows' per-column
 * contributions into its own `width` doubles (partial), and then done(j, sum) gets each column's
 * partials summed in thread order, so results do not depend on scheduling.
 */
template <class Row, class Done>
void rowsWithColumnSums(i64 rows, i64 work, i64 width, Row&& row, Done&& done) {
  ThreadSlots partial(maxThreads(), width);
  parallelFor(rows, work, [&](i64 b, i64 e) {
    double* slot = partial.slot(omp_get_thread_num());
    for (i64 r = b; r < e; r++) row(r, slot);
  });
  for (i64 j = 0; j < width; j++) done(j, partial.sum(j));
}

}  // namespace

void layerNormBackward(const float* x, const float* gamma, const float* mean, const float* rstd, const float* gy,
                       i64 rows, i64 cols, float* gx, float* ggamma, float* gbeta) {
  // Columns [0, cols) of the partial sums are ggamma's, [cols, 2 cols) gbeta's.
  rowsWithColumnSums(
      rows, rows * cols * 4, 2 * cols,
      [&](i64 r, double* pg) {
        layerNormBackwardRow(x + r * cols, gamma, mean[r], rstd[r], gy + r * cols, cols, gx + r * cols, pg, pg + cols);
      },
      [&](i64 j, double sum) { (j < cols ? ggamma[j] : gbeta[j - cols]) += float(sum); });
}

void rmsNorm(const float* x, const float* gamma, i64 rows, i64 cols, float eps, float* out, float* rstd) {
  parallelFor(rows, rows * cols * 2, [&](i64 b, i64 e) {
    for (i64 r = b; r < e; r++) rmsNormRow(x + r * cols, gamma, cols, eps, out + r * cols, rstd + r);
  });
}

void rmsNormBackward(const float* x, const float* gamma, const float* rstd, const float* gy, i64 rows, i64 cols, float* gx,
                     float* ggamma) {
  rowsWithColumnSums(
      rows, rows * cols * 3, cols,
      [&](i64 r, double* pg) { rmsNormBackwardRow(x + r * cols, gamma, rstd[r], gy + r * cols, cols, gx + r * cols, pg); },
      [&](i64 j, double sum) { ggamma[j] += float(sum); });
}

void rotary(const float* x, const float* cos, const float* sin, i64 batch, i64 t, i64 heads, i64 d, float* out,
            bool backward) {
  const i64 rows = batch * t, cols = heads * d;
  parallelFor(rows, rows * cols * 2, [&](i64 b, i64 e) {
    for (i64 r = b; r < e; r++) {
      const i64 pos = r % t;
      rotaryRow(x + r * cols, cos + pos * d, sin + pos * d, heads, d, out + r * cols, backward);
    }
  });
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
