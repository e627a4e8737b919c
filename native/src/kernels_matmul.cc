// Batched matrix multiply on oneDNN's sgemm (dnnl_sgemm: JIT-generated kernels for the CPU's
// instruction set, AVX-512 here; chosen over OpenBLAS and BLIS by bench/gemm_libs.sh, see
// BENCHMARKS.md, and independent of how the user's OpenBLAS is configured). oneDNN threads with
// the same OpenMP runtime as the other kernels and runs single-threaded when called inside one of
// our parallel regions, so the splits below decide the threading. Measured on the 2-core target
// (with OpenBLAS, before the switch): an OpenMP loop over the batch beat the BLAS's own threading
// by ~30-45% for attention-sized batches (64 x 128x128x64: 0.80 ms vs 1.13 ms), and splitting
// one large product's rows between threads matched or beat it (4096x1024x256: 10.8 ms vs
// 11.4 ms). Below ~2^19 multiply-adds one thread is faster than any split.
#include <dnnl.h>

#include <cstring>

#include "kernels.h"

namespace ligo {

namespace {

// Products with fewer multiply-adds than this run on one thread (fork/join costs more).
constexpr i64 kGemmParallelMacs = i64(1) << 19;

struct Gemm {
  const MatmulArgs& g;
  i64 lda, ldb, ldc;

  explicit Gemm(const MatmulArgs& args)
      : g(args), lda(args.transA ? args.m : args.k), ldb(args.transB ? args.k : args.n), ldc(args.n) {}

  /** C rows [m0, m1) x columns [n0, n1) of batch item i. */
  void block(const float* a, const float* b, float* c, i64 i, i64 m0, i64 m1, i64 n0, i64 n1) const {
    if (m1 <= m0 || n1 <= n0) return;
    const float* ai = a + i * g.strideA + (g.transA ? m0 : m0 * lda);
    const float* bi = b + i * g.strideB + (g.transB ? n0 * ldb : n0);
    float* ci = c + i * g.strideC + m0 * ldc + n0;
    float beta = g.beta;
    if (g.bias && beta == 0.0f) {  // the block starts as the bias, written by the thread that then accumulates into it
      for (i64 r = m0; r < m1; r++) std::memcpy(ci + (r - m0) * ldc, g.bias + n0, sizeof(float) * size_t(n1 - n0));
      beta = 1.0f;
    }
    dnnl_sgemm(g.transA ? 'T' : 'N', g.transB ? 'T' : 'N', m1 - m0, n1 - n0, g.k, g.alpha, ai, lda, bi, ldb, beta, ci, ldc);
    if (g.bias && g.beta != 0.0f)
      for (i64 r = m0; r < m1; r++)
        for (i64 j = n0; j < n1; j++) ci[(r - m0) * ldc + (j - n0)] += g.bias[j];
  }

  void item(const float* a, const float* b, float* c, i64 i) const { block(a, b, c, i, 0, g.m, 0, g.n); }
};

/** C = beta * C (+ bias) for every batch item (the k == 0 case); beta == 0 writes without reading. */
void scaleC(float* c, const MatmulArgs& g) {
  for (i64 i = 0; i < g.batch; i++) {
    float* ci = c + i * g.strideC;
    for (i64 j = 0; j < g.m * g.n; j++) ci[j] = (g.beta == 0.0f ? 0.0f : g.beta * ci[j]) + (g.bias ? g.bias[j % g.n] : 0.0f);
  }
}

}  // namespace

void matmul(const float* a, const float* b, float* c, const MatmulArgs& args) {
  if (args.batch <= 0 || args.m <= 0 || args.n <= 0) return;
  if (args.k <= 0) return scaleC(c, args);

  // Summing into one C over a batch of stacked [k, *] blocks (weight gradients): one long-k gemm.
  if (args.strideC == 0 && args.batch > 1 && args.transA && !args.transB && args.strideA == args.k * args.m &&
      args.strideB == args.k * args.n) {
    MatmulArgs one = args;
    one.k = args.k * args.batch;
    one.batch = 1;
    return matmul(a, b, c, one);
  }

  const Gemm gemm(args);
  const i64 macs = args.m * args.n * args.k;
  const int nt = maxThreads();
  if (nt <= 1 || macs * args.batch < kGemmParallelMacs) {
    for (i64 i = 0; i < args.batch; i++) gemm.item(a, b, c, i);
    return;
  }

  // Many items: one thread per item. Needs distinct C per item and a batch that splits evenly
  // (or is large enough, or items too small to split) so threads are not left idle.
  const bool overBatch = args.strideC != 0 && args.batch >= nt &&
                         (args.batch % nt == 0 || args.batch >= 4 * nt || macs < kGemmParallelMacs);
  if (overBatch) {
#pragma omp parallel for schedule(static) num_threads(nt)
    for (i64 i = 0; i < args.batch; i++) gemm.item(a, b, c, i);
    return;
  }

  // Few large items: every thread computes its slice of each item's C, splitting the longer
  // side. A thread's slice is disjoint from the others', so items need no barrier between them.
  const bool splitRows = args.m >= args.n;
#pragma omp parallel num_threads(nt)
  {
    const i64 t = omp_get_thread_num(), T = omp_get_num_threads();
    const i64 len = splitRows ? args.m : args.n;
    const i64 s0 = len * t / T, s1 = len * (t + 1) / T;
    for (i64 i = 0; i < args.batch; i++) {
      if (splitRows)
        gemm.block(a, b, c, i, s0, s1, 0, args.n);
      else
        gemm.block(a, b, c, i, 0, args.m, s0, s1);
    }
  }
}

}  // namespace ligo
