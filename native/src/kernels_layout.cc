// Layout and indexing kernels: reductions over the middle axis of [outer, r, inner], the max
// gradient, strided copies (permute / slice / pad / concat / expand), gather and scatter-add.
#include <cmath>
#include <cstring>

#include "kernels.h"
#include "vmath.h"

namespace ligo {

// ---------------------------------------------------------------------------------------------
// reduce

namespace {

constexpr i64 kInnerBlock = 256;  // inner columns accumulated at once in a double buffer

/**
 * From this many elements the column sums of one matrix split its rows between the threads.
 * Waking the second thread cost ~20 us on the 2-core VM (bench/kernels.ts; BENCHMARKS.md, "Row
 * kernels on two threads, GELU with one exp"): [2048, 256] (0.5 M) ran 53 us split against 33 us on one thread,
 * [2048, 768] (1.6 M) 115-121 us against 143-178.
 */
constexpr i64 kSplitColumnSums = i64(1) << 20;

/** acc[i - i0] = sum_{j < r} x[j * inner + i] for i in [i0, i1), accumulated in double. */
LIGO_SIMD void sumColumns(const float* x, i64 r, i64 inner, i64 i0, i64 i1, double* acc) {
  for (i64 c0 = i0; c0 < i1; c0 += kInnerBlock) {
    const i64 w = std::min(kInnerBlock, i1 - c0);
    double* a = acc + (c0 - i0);
    for (i64 i = 0; i < w; i++) a[i] = 0.0;
    for (i64 j = 0; j < r; j++) {
      const float* row = x + j * inner + c0;
      for (i64 i = 0; i < w; i++) a[i] += double(row[i]);
    }
  }
}

/** out[i] = max_j x[j * inner + i] for i in [i0, i1). */
LIGO_SIMD void maxColumns(const float* x, i64 r, i64 inner, i64 i0, i64 i1, float* out) {
  for (i64 i = i0; i < i1; i++) out[i] = x[i];
  for (i64 j = 1; j < r; j++) {
    const float* row = x + j * inner;
    for (i64 i = i0; i < i1; i++) out[i] = row[i] > out[i] || row[i] != row[i] ? row[i] : out[i];
  }
}

LIGO_SIMD double sumRow(const float* x, i64 r) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (i64 j = 0; j < r; j++) s += double(x[j]);
  return s;
}

LIGO_SIMD float maxRow(const float* x, i64 r) { return vmaxOf(x, r); }

}  // namespace

void reduce(ReduceOp op, const float* x, i64 outer, i64 r, i64 inner, float* out) {
  if (op != ReduceOp::Sum && op != ReduceOp::Max) throwRange("reduce: unknown op " + std::to_string(int(op)));
  const bool sum = op == ReduceOp::Sum;
  if (r == 0) {  // empty reduction: sum is 0, max is -inf
    fill(out, outer * inner, sum ? 0.0f : -INFINITY);
    return;
  }
  const i64 work = outer * r * inner;
  if (inner == 1) {  // reduce contiguous rows
    parallelFor(outer, work, [&](i64 b, i64 e) {
      for (i64 o = b; o < e; o++) out[o] = sum ? float(sumRow(x + o * r, r)) : maxRow(x + o * r, r);
    });
    return;
  }
  if (outer == 1 && sum && work >= kSplitColumnSums) {
    // Column sums of one large matrix (bias gradients: hundreds of columns, thousands of rows):
    // the rows split between the threads, each summing its share of every column into its own slot.
    const int nt = int(std::min<i64>(maxThreads(), r));
    ThreadSlots partial(nt, inner);
    parallelFor(nt, work, [&](i64 b, i64 e) {
      for (i64 t = b; t < e; t++) {
        const i64 j0 = r * t / nt, j1 = r * (t + 1) / nt;
        sumColumns(x + j0 * inner, j1 - j0, inner, 0, inner, partial.slot(t));
      }
    });
    for (i64 i = 0; i < inner; i++) out[i] = float(partial.sum(i));
    return;
  }
  // Otherwise (outer, inner block) tasks.
  const i64 blocks = (inner + kInnerBlock - 1) / kInnerBlock;
  parallelFor(outer * blocks, work, [&](i64 b, i64 e) {
    double acc[kInnerBlock];
    for (i64 t = b; t < e; t++) {
      const i64 o = t / blocks, i0 = (t % blocks) * kInnerBlock, i1 = std::min(inner, i0 + kInnerBlock);
      const float* xo = x + o * r * inner;
      float* oo = out + o * inner;
      if (sum) {
        sumColumns(xo, r, inner, i0, i1, acc);
        for (i64 i = i0; i < i1; i++) oo[i] = float(acc[i - i0]);
      } else {
        maxColumns(xo, r, inner, i0, i1, oo);
      }
    }
  });
}

void reduceMaxBackward(const float* x, const float* y, const float* gy, i64 outer, i64 r, i64 inner, float* gx) {
  parallelFor(outer, outer * r * inner, [&](i64 b, i64 e) {
    std::vector<char> done(size_t(inner), 0);
    for (i64 o = b; o < e; o++) {
      const float* xo = x + o * r * inner;
      float* go = gx + o * r * inner;
      std::memset(go, 0, sizeof(float) * size_t(r * inner));
      std::fill(done.begin(), done.end(), 0);
      for (i64 j = 0; j < r; j++) {
        for (i64 i = 0; i < inner; i++) {
          if (!done[i] && xo[j * inner + i] == y[o * inner + i]) {
            go[j * inner + i] = gy[o * inner + i];
            done[i] = 1;
          }
        }
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// copyStrided: sa = source strides, sb = destination strides (offsets already applied).

namespace {

/** a + b, wrapping on int32 overflow like JS Int32Array arithmetic (signed overflow is UB in C++). */
inline float addWrap(float a, float b) { return a + b; }
inline int32_t addWrap(int32_t a, int32_t b) { return int32_t(uint32_t(a) + uint32_t(b)); }

template <class T>
inline void copyRun(const T* src, i64 ss, T* dst, i64 ds, i64 n, bool accumulate) {
  if (accumulate) {
    if (ss == 1 && ds == 1)
      for (i64 i = 0; i < n; i++) dst[i] = addWrap(dst[i], src[i]);
    else
      for (i64 i = 0; i < n; i++) dst[i * ds] = addWrap(dst[i * ds], src[i * ss]);
  } else if (ss == 1 && ds == 1) {
    std::memcpy(dst, src, sizeof(T) * size_t(n));
  } else if (ss == 0) {
    const T v = src[0];
    for (i64 i = 0; i < n; i++) dst[i * ds] = v;
  } else {
    for (i64 i = 0; i < n; i++) dst[i * ds] = src[i * ss];
  }
}

}  // namespace

template <class T>
void copyStrided(const T* src, T* dst, StridedShape dims, bool accumulate) {
  const StridedShape d = collapseDims(dims);
  const int r = d.rank;
  if (d.shape[0] == 0) return;
  const i64 inner = d.shape[r - 1], ss = d.sa[r - 1], ds = d.sb[r - 1];
  i64 rows = 1;
  for (int j = 0; j < r - 1; j++) rows *= d.shape[j];
  // With accumulate, two rows may target the same destination (expand backward: a zero
  // destination stride); run those on one thread so the sums do not race.
  bool safe = true;
  for (int j = 0; j < r; j++) safe = safe && d.sb[j] != 0;
  const i64 work = safe || !accumulate ? rows * inner : 0;

  if (rows == 1) {
    parallelFor(
        inner, work, [&](i64 b, i64 e) { copyRun(src + b * ss, ss, dst + b * ds, ds, e - b, accumulate); }, 16);
    return;
  }
  parallelFor(rows, work, [&](i64 rb, i64 re) {
    i64 idx[kMaxRank] = {0};
    i64 offS = 0, offD = 0, rem = rb;
    for (int j = r - 2; j >= 0; j--) {
      idx[j] = rem % d.shape[j];
      rem /= d.shape[j];
      offS += idx[j] * d.sa[j];
      offD += idx[j] * d.sb[j];
    }
    for (i64 row = rb; row < re; row++) {
      copyRun(src + offS, ss, dst + offD, ds, inner, accumulate);
      for (int j = r - 2; j >= 0; j--) {
        offS += d.sa[j];
        offD += d.sb[j];
        if (++idx[j] < d.shape[j]) break;
        offS -= d.sa[j] * d.shape[j];
        offD -= d.sb[j] * d.shape[j];
        idx[j] = 0;
      }
    }
  });
}

template void copyStrided<float>(const float*, float*, StridedShape, bool);
template void copyStrided<int32_t>(const int32_t*, int32_t*, StridedShape, bool);

// ---------------------------------------------------------------------------------------------
// gather / scatterAdd

namespace {

LIGO_SIMD void addTo(float* dst, const float* src, i64 n) {
  for (i64 i = 0; i < n; i++) dst[i] += src[i];
}

}  // namespace

void checkIds(const char* kernel, const int32_t* ids, i64 n, i64 vocab) {
  for (i64 i = 0; i < n; i++) {
    if (ids[i] < 0 || ids[i] >= vocab) {
      throwRange(std::string(kernel) + ": id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
                 " is out of range for vocab size " + std::to_string(vocab));
    }
  }
}

void gather(const float* table, i64 cols, const int32_t* ids, i64 n, float* out) {
  parallelFor(n, n * cols, [&](i64 b, i64 e) {
    for (i64 i = b; i < e; i++) std::memcpy(out + i * cols, table + i64(ids[i]) * cols, sizeof(float) * size_t(cols));
  });
}

void scatterAdd(const float* gy, const int32_t* ids, i64 n, i64 cols, float* gtable) {
  // Read-modify-write of table rows scales badly across cores while the table is cache-resident
  // (measured 4096 x 256 rows: 0.14 ms on one thread, 0.3 ms on two), so only large calls split.
  constexpr i64 kScatterParallelWork = i64(4) << 20;
  const int nt = maxThreads();
  if (nt <= 1 || n * cols < kScatterParallelWork) {
    for (i64 i = 0; i < n; i++) addTo(gtable + i64(ids[i]) * cols, gy + i * cols, cols);
    return;
  }
  // Thread t owns the table rows with id % T == t: repeated ids never race, and every row sums
  // its contributions in the same order as the sequential loop (16384 x 768: 2.8 ms vs 3.8 ms).
  parallelFor(nt, n * cols, [&](i64 t0, i64 t1) {
    for (i64 t = t0; t < t1; t++)
      for (i64 i = 0; i < n; i++)
        if (ids[i] % nt == t) addTo(gtable + i64(ids[i]) * cols, gy + i * cols, cols);
  });
}

}  // namespace ligo
