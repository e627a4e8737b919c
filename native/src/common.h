// Shared helpers for the ligo_native kernels: the error type the bindings turn into JS
// exceptions, and the OpenMP parallel-for/reduce helpers that keep small calls single-threaded.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ligo {

using i64 = int64_t;

/** An error the bindings rethrow as a JS exception of the given kind. */
struct KernelError : std::runtime_error {
  enum Kind { Type, Range, Plain };
  Kind kind;
  KernelError(Kind k, const std::string& msg) : std::runtime_error(msg), kind(k) {}
};

[[noreturn]] inline void throwRange(const std::string& msg) { throw KernelError(KernelError::Range, msg); }
[[noreturn]] inline void throwType(const std::string& msg) { throw KernelError(KernelError::Type, msg); }

// Hot loops are compiled three times, for baseline x86-64, AVX2 + FMA and AVX-512, and the
// dynamic loader picks the best version for the CPU (GCC function multiversioning, an ifunc), so
// the addon needs no -march flag and still runs on any x86-64. Elsewhere: plain functions.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LIGO_SIMD __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define LIGO_SIMD
#endif

/** For small math helpers that must inline into each LIGO_SIMD clone. */
#define LIGO_INLINE inline __attribute__((always_inline))

/**
 * Below this much work a kernel runs on the calling thread only. Work is elements touched times
 * a per-element cost (1 for a plain add, ~8 for GELU or softmax). Measured on the 2-core target:
 * an OpenMP fork/join costs ~5 us, so a plain add only gains from 2 threads above ~100k
 * elements and GELU above ~12k.
 */
constexpr i64 kParallelWork = i64(1) << 17;

/** Work multipliers for kernels dominated by exp/erf-style math or several passes per row. */
constexpr i64 kCostTranscendental = 8;

inline int maxThreads() { return omp_get_max_threads(); }

/**
 * Runs f(begin, end) over [0, n) split into one contiguous chunk per thread, or as one call on
 * the calling thread when `work` is small. Chunk boundaries are rounded to multiples of `align`.
 */
template <class F>
void parallelFor(i64 n, i64 work, F&& f, i64 align = 1) {
  int nt = maxThreads();
  if (n <= 0) return;
  if (work < kParallelWork || nt <= 1 || n < 2) {
    f(i64(0), n);
    return;
  }
  nt = int(std::min<i64>(nt, n));
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), T = omp_get_num_threads();
    i64 b = n * t / T, e = n * (t + 1) / T;
    if (align > 1) {
      b = t == 0 ? 0 : std::min(n, (b + align - 1) / align * align);
      e = t == T - 1 ? n : std::min(n, (e + align - 1) / align * align);
    }
    if (b < e) f(b, e);
  }
}

/** Like parallelFor, but f returns a double partial; partials are summed in thread order. */
template <class F>
double parallelSum(i64 n, i64 work, F&& f) {
  int nt = maxThreads();
  if (n <= 0) return 0.0;
  if (work < kParallelWork || nt <= 1 || n < 2) return f(i64(0), n);
  nt = int(std::min<i64>(nt, n));
  std::vector<double> partial(nt, 0.0);
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), T = omp_get_num_threads();
    const i64 b = n * t / T, e = n * (t + 1) / T;
    if (b < e) partial[t] = f(b, e);
  }
  double s = 0.0;
  for (double p : partial) s += p;
  return s;
}

/**
 * Per-thread double accumulators, `width` each, padded to whole pairs of cache lines (a core's
 * prefetcher pulls lines in pairs) and aligned to them, so no two threads write one line: when
 * neighbouring threads' slots shared a line, layer-norm backward ran slower on 2 threads than on 1
 * (BENCHMARKS.md, "Row kernels on two threads, GELU with one exp"). sum(j) adds column j over the slots in thread
 * order, so results do not depend on scheduling.
 */
class ThreadSlots {
 public:
  ThreadSlots(int slots, i64 width) : slots_(slots), stride_((width + kPad - 1) / kPad * kPad), buf_(size_t(slots * stride_ + kPad), 0.0) {
    const i64 misalign = i64(reinterpret_cast<uintptr_t>(buf_.data()) / sizeof(double)) % kPad;
    base_ = buf_.data() + (kPad - misalign) % kPad;
  }
  double* slot(i64 t) { return base_ + t * stride_; }
  double sum(i64 j) const {
    double s = 0.0;
    for (int t = 0; t < slots_; t++) s += base_[t * stride_ + j];
    return s;
  }

 private:
  static constexpr i64 kPad = 128 / sizeof(double);
  int slots_;
  i64 stride_;
  std::vector<double> buf_;
  double* base_;
};

}  // namespace ligo
