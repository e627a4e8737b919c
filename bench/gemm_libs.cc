// Single-precision GEMM rates of the BLAS libraries Debian packages, measured in one process per
// library (they export clashing symbols): OpenBLAS as installed (it honours OPENBLAS_CORETYPE),
// BLIS (libblis-dev), oneDNN's dnnl_sgemm (libdnnl-dev) and the project's own candidate
// (sgemm_own.cc). Built and run by bench/gemm_libs.sh.
// Shapes: 1024^3 and the products of a BERT-Base training step at 32 x 128 tokens (rows 4096,
// hidden 768, FFN 3072; the linear layer's forward, input-gradient and weight-gradient products
// are NT, NN and TN; attention is 384 products of 128x128x64).
// Each rate is the best of 7 runs. One-thread rates are timed in the thread's CPU time, so other
// jobs on a shared machine barely skew them; two-thread rates need wall time and are only
// meaningful on an idle machine. The first lines give the core's own ceiling: peak fused
// multiply-add throughput with 256-bit (AVX2) and 512-bit (AVX-512) vectors, 12 independent
// accumulator chains, one thread (12 FMAs per iteration in the compiled loop: a loop over
// separately named accumulators that start equal can be folded by the compiler into one chain,
// and then reports 2-3x the true rate).
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>

#if defined(USE_OPENBLAS)
#include <cblas.h>
static const char* kName = "openblas";
static void setThreads(int n) { openblas_set_num_threads(n); }
static void sgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
#elif defined(USE_BLIS)
#include <blis.h>
static const char* kName = "blis";
static void setThreads(int n) { bli_thread_set_num_threads(n); }
static void sgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  bli_sgemm(ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, m, n, k, &alpha,
            const_cast<float*>(a), lda, 1, const_cast<float*>(b), ldb, 1, &beta, c, ldc, 1);
}
#elif defined(USE_DNNL)
#include <dnnl.h>
#include <omp.h>
static const char* kName = "onednn";
static void setThreads(int n) { omp_set_num_threads(n); }
static void sgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
#elif defined(USE_LIGO)
#include <omp.h>

#include "sgemm_own.h"
static const char* kName = "ligo";
// The candidate sgemm is single-threaded: two threads split C's rows, as the addon's
// kernels_matmul.cc splits a large product.
static int gThreads = 1;
static void setThreads(int n) { gThreads = n; }
static void sgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
#pragma omp parallel num_threads(gThreads)
  {
    const int t = omp_get_thread_num(), T = omp_get_num_threads();
    const int m0 = m * t / T, m1 = m * (t + 1) / T;
    ligo::sgemm(ta, tb, m1 - m0, n, k, alpha, ta ? a + m0 : a + size_t(m0) * lda, lda, b, ldb, beta, c + size_t(m0) * ldc, ldc);
  }
}
#endif

struct Shape { const char* name; int batch, m, n, k; bool ta, tb; };

static double cpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// Peak FMA rate of one core at each vector width: native/src/peak.cc, linked in (gemm_libs.sh).
namespace ligo {
double peakGflopsAt(int bits, long iters);
}

// Checks the library against a double-precision loop before timing it: odd sizes around tile and
// vector widths, every transpose pair, padded leading dimensions, alpha and beta (beta 0 with a
// NaN C, which must not be read). Exits non-zero on the first wrong element.
static void check() {
  const int sizes[] = {1, 7, 17, 33, 65, 129};
  for (int m : sizes)
    for (int n : sizes)
      for (int k : {1, 17, 600})
        for (int t = 0; t < 4; t++) {
          const bool ta = t & 1, tb = t & 2;
          const int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
          const float alpha = t == 3 ? -1.5f : 0.5f, beta = (m + n) % 2 ? 0.f : 0.75f;
          std::vector<float> a(size_t(ta ? k : m) * lda), b(size_t(tb ? n : k) * ldb), c(size_t(m) * ldc);
          for (auto& x : a) x = float(rand()) / RAND_MAX - 0.5f;
          for (auto& x : b) x = float(rand()) / RAND_MAX - 0.5f;
          for (auto& x : c) x = beta == 0 ? NAN : float(rand()) / RAND_MAX;
          std::vector<float> want = c;
          for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
              double acc = 0;
              for (int p = 0; p < k; p++) acc += double(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
              want[i * ldc + j] = float(alpha * acc + (beta == 0 ? 0.0 : double(beta) * want[i * ldc + j]));
            }
          sgemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
          for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++) {
              const float got = c[i * ldc + j], e = want[i * ldc + j];
              const bool ok = j >= n ? (std::isnan(got) && std::isnan(e)) || got == e
                                     : std::fabs(got - e) <= 1e-5f * std::sqrt(float(k)) + 1e-5f * std::fabs(e);
              if (!ok) {
                fprintf(stderr, "%s: wrong C[%d][%d] = %g (want %g) for %dx%dx%d ta=%d tb=%d\n", kName, i, j, got, e, m, n, k, ta, tb);
                exit(1);
              }
            }
        }
}

int main() {
  check();
  if (getenv("CHECK_ONLY")) return 0;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    printf("{\"lib\":\"%s\",\"threads\":1,\"shape\":\"peak FMA 256-bit\",\"gflops\":%.1f}\n", kName, ligo::peakGflopsAt(256, 20000000));
  if (__builtin_cpu_supports("avx512f"))
    printf("{\"lib\":\"%s\",\"threads\":1,\"shape\":\"peak FMA 512-bit\",\"gflops\":%.1f}\n", kName, ligo::peakGflopsAt(512, 20000000));
  // SHAPES=study: the seeded rows' large models instead (BERT / GPT-2 4L-192H, 32 x 64 tokens,
  // vocabulary 2,048: bench/shape_profile.ts's largest products).
  const Shape study[] = {
      {"gpt2 head fwd NT 2048x2048x192", 1, 2048, 2048, 192, false, true},
      {"ffn1 fwd NT 2048x768x192", 1, 2048, 768, 192, false, true},
      {"ffn2 fwd NT 2048x192x768", 1, 2048, 192, 768, false, true},
      {"qkv fwd NT 2048x576x192", 1, 2048, 576, 192, false, true},
      {"ffn2 dX NN 2048x768x192", 1, 2048, 768, 192, false, false},
      {"ffn1 dW TN 768x192x2048", 1, 768, 192, 2048, true, false},
      {"attn QK^T NT 96x64x64x64", 96, 64, 64, 64, false, true},
      {"attn PV NN 96x64x64x64", 96, 64, 64, 64, false, false},
  };
  const Shape base[] = {
      {"1024^3 NN", 1, 1024, 1024, 1024, false, false},
      {"qkvo fwd NT 4096x768x768", 1, 4096, 768, 768, false, true},
      {"ffn1 fwd NT 4096x3072x768", 1, 4096, 3072, 768, false, true},
      {"ffn2 fwd NT 4096x768x3072", 1, 4096, 768, 3072, false, true},
      {"ffn1 dX NN 4096x768x3072", 1, 4096, 768, 3072, false, false},
      {"ffn1 dW TN 3072x768x4096", 1, 3072, 768, 4096, true, false},
      {"attn QK^T NT 384x128x128x64", 384, 128, 128, 64, false, true},
      {"attn PV NN 384x128x64x128", 384, 128, 64, 128, false, false},
  };
  const bool useStudy = getenv("SHAPES") && std::string(getenv("SHAPES")) == "study";
  const Shape* shapes = useStudy ? study : base;
  const int count = useStudy ? int(std::size(study)) : int(std::size(base));
  for (int threads : {1, 2}) {
    setThreads(threads);
    for (const Shape* sp = shapes; sp != shapes + count; sp++) {
      const Shape& s = *sp;
      const size_t sa = size_t(s.m) * s.k, sb = size_t(s.k) * s.n, sc = size_t(s.m) * s.n;
      std::vector<float> a(sa * s.batch), b(sb * s.batch), c(sc * s.batch);
      for (auto& x : a) x = float(rand()) / RAND_MAX - 0.5f;
      for (auto& x : b) x = float(rand()) / RAND_MAX - 0.5f;
      const int lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
      auto run = [&] { for (int i = 0; i < s.batch; i++) sgemm(s.ta, s.tb, s.m, s.n, s.k, 1.f, &a[i * sa], lda, &b[i * sb], ldb, 0.f, &c[i * sc], s.n); };
      run();
      std::vector<double> t;
      for (int r = 0; r < 7; r++) {
        const auto w0 = std::chrono::steady_clock::now();
        const double c0 = cpuSeconds();
        run();
        t.push_back(threads == 1 ? cpuSeconds() - c0 : std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count());
      }
      std::sort(t.begin(), t.end());  // best of 7: the least disturbed run on a shared machine
      printf("{\"lib\":\"%s\",\"threads\":%d,\"shape\":\"%s\",\"gflops\":%.1f}\n", kName, threads, s.name,
             2.0 * s.batch * s.m * s.n * s.k / t[0] / 1e9);
      fflush(stdout);
    }
  }
}
