// The project's own single-threaded SGEMM (sgemm_own.cc), a candidate for the native addon's
// matrix products, measured against the BLAS libraries by gemm_libs.sh. Not linked into the
// addon: see BENCHMARKS.md ("Matrix products") for why.
#pragma once

#include "../native/src/common.h"

namespace ligo {

/**
 * Row-major SGEMM with BLAS semantics: C = alpha * op(A) op(B) + beta * C, op(A) m x k, op(B)
 * k x n, leading dimensions lda / ldb / ldc; beta == 0 never reads C. One thread.
 */
void sgemm(bool transA, bool transB, i64 m, i64 n, i64 k, float alpha, const float* a, i64 lda, const float* b,
           i64 ldb, float beta, float* c, i64 ldc);

/**
 * The micro-kernel sgemm runs: "avx512", "avx2" or "portable", chosen on the first call (the
 * widest the CPU supports, or LIGO_SGEMM_KERNEL; throws on a value the CPU cannot run).
 */
const char* sgemmKernelName();

}  // namespace ligo
