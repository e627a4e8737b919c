// The machine's fp32 ceiling, measured in process: the fused multiply-add rate of one core with
// the widest vectors the kernels use here (AVX-512 where the CPU has it, else AVX2 + FMA; the
// dynamic dispatch of LIGO_SIMD picks the same widths). Benchmarks print every rate beside it
// and as a share of it (bench/machine.ts), so a figure reads the same on any machine;
// bench/gemm_libs.cc links this file for its per-width peaks.
// Twelve independent chains of vector FMAs cover the FMA latency of current x86 cores; the time
// is the calling thread's CPU time, so a loaded machine does not understate the core.

#include "kernels.h"

#include <ctime>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>

namespace {

double threadSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define LIGO_FMA_PEAK(NAME, TARGET, V, SET1, FMA, W)                 \
  __attribute__((target(TARGET))) double NAME(long iters) {          \
    const V x = SET1(1.0000001f), y = SET1(0.999999f);               \
    V acc[12];                                                       \
    for (auto& a : acc) a = x;                                       \
    const double t0 = threadSeconds();                               \
    for (long r = 0; r < iters; r++)                                 \
      _Pragma("GCC unroll 12") for (auto& a : acc) a = FMA(a, x, y); \
    const double t = threadSeconds() - t0;                           \
    volatile float sink = 0;                                         \
    for (auto& a : acc) sink = sink + a[0];                          \
    return iters * 12.0 * W * 2 / t / 1e9;                           \
  }
LIGO_FMA_PEAK(peakAvx2, "avx2,fma", __m256, _mm256_set1_ps, _mm256_fmadd_ps, 8)
LIGO_FMA_PEAK(peakAvx512, "avx512f", __m512, _mm512_set1_ps, _mm512_fmadd_ps, 16)

}  // namespace

namespace ligo {

int peakVectorBits() {
  if (__builtin_cpu_supports("avx512f")) return 512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 256;
  return 128;
}

double peakGflopsAt(int bits, long iters) {
  if (bits == 512 && __builtin_cpu_supports("avx512f")) return peakAvx512(iters);
  if (bits == 256 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return peakAvx2(iters);
  return 0;
}

}  // namespace ligo

#else
namespace ligo {
int peakVectorBits() { return 0; }
double peakGflopsAt(int, long) { return 0; }
}  // namespace ligo
#endif
