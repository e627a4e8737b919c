// The project's own single-threaded SGEMM (row-major, BLAS semantics), a candidate for the
// native addon's products, in the Goto/BLIS structure. B is packed in kc x nc panels of column
// strips nr floats wide (zero-padded); a register-blocked micro-kernel computes one mr x nr tile
// of C: per k step it loads nr floats of B, broadcasts each of the mr values of A and accumulates
// mr x nr products in registers. A is read in place when its rows are contiguous (no transpose:
// broadcasts need no packing, which saves a pass over A, most of the cost on attention-sized
// products); a transposed A is packed in mc x kc blocks of row strips (zero-padded). Partial
// tiles are computed aside and merged.
//
// One micro-kernel body (GCC vector extensions, so the same source serves every width) is
// compiled three times: AVX-512 (16-float vectors, 32 registers: a 6 x 64 tile, 24 accumulators),
// AVX2 + FMA (8-float vectors, 16 registers: 6 x 16) and baseline x86-64 or any other CPU
// (4-float vectors: 6 x 8). The widest one the CPU supports is chosen at the first call;
// LIGO_SGEMM_KERNEL=avx512|avx2|portable forces one (gemm_libs.sh checks each). No threads here:
// a caller splits the work; the packing buffers are per thread, allocated once and reused.
#include <cstdlib>
#include <cstring>
#include <new>

#include "sgemm_own.h"

namespace ligo {

namespace {

// Cache blocks (floats), chosen by measurement on the 2-core AVX-512 target (kc 256 and 384 and
// tiles 14 x 32, 12 x 32 and 8 x 48 were 3-10% slower): a kc x 64 strip of B is 128 KB and an mc x kc block of a
// packed A 600 KB (both L2), a kc x nc panel of B 8 MB (L3).
constexpr i64 kKc = 512, kMc = 300, kNc = 4096;

using MicroKernel = void (*)(i64 kc, const float* a, i64 ais, i64 aps, const float* b, float* c, i64 ldc, float alpha, float beta);

/**
 * C[0:MR, 0:W*NV] = alpha * sum_p a[i*ais + p*aps] * b[p*W*NV + j] + beta * C (beta == 0: C is
 * not read). b is a packed strip, 64-byte aligned; c rows are ldc apart.
 */
template <int MR, int NV, int W>
LIGO_INLINE void microKernel(i64 kc, const float* a, i64 ais, i64 aps, const float* b, float* c, i64 ldc, float alpha, float beta) {
  typedef float V __attribute__((vector_size(W * 4)));
  typedef float VU __attribute__((vector_size(W * 4), aligned(4)));  // unaligned C rows
  V acc[MR][NV] = {};
  for (int i = 0; i < MR; i++) __builtin_prefetch(c + i * ldc, 1), __builtin_prefetch(c + i * ldc + NV * W - 1, 1);
#pragma GCC unroll 4
  for (i64 p = 0; p < kc; p++) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = *reinterpret_cast<const V*>(b + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const V ai = a[i * ais] - V{};  // a broadcast (x - 0 is x exactly, -0 included)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] += ai * bv[v];
    }
    a += aps;
    b += NV * W;
  }
  if (beta == 0.0f) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) *reinterpret_cast<VU*>(c + i * ldc + v * W) = alpha * acc[i][v];
  } else {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        VU* ci = reinterpret_cast<VU*>(c + i * ldc + v * W);
        *ci = alpha * acc[i][v] + beta * *ci;
      }
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f,avx512vl,avx2,fma"))) void ukrAvx512(i64 kc, const float* a, i64 ais, i64 aps, const float* b, float* c,
                                                                   i64 ldc, float alpha, float beta) {
  microKernel<6, 4, 16>(kc, a, ais, aps, b, c, ldc, alpha, beta);
}
__attribute__((target("avx2,fma"))) void ukrAvx2(i64 kc, const float* a, i64 ais, i64 aps, const float* b, float* c, i64 ldc,
                                                 float alpha, float beta) {
  microKernel<6, 2, 8>(kc, a, ais, aps, b, c, ldc, alpha, beta);
}
#endif
void ukrPortable(i64 kc, const float* a, i64 ais, i64 aps, const float* b, float* c, i64 ldc, float alpha, float beta) {
  microKernel<6, 2, 4>(kc, a, ais, aps, b, c, ldc, alpha, beta);
}

/** A 64-byte-aligned float buffer that only grows (one per thread and operand). */
struct Buffer {
  float* p = nullptr;
  size_t cap = 0;
  ~Buffer() { std::free(p); }
  float* get(size_t n) {
    if (n > cap) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
      if (!p) throw std::bad_alloc();
      cap = n;
    }
    return p;
  }
};

/**
 * Packs the rows x cols matrix X(r, q) = src[r*rs + q*cs] into strips of R rows: strip s holds
 * X(s*R + r, q) at dst[s*R*cols + q*R + r], rows past the end zero. When the source runs along q
 * (cs == 1) the copy goes in blocks of 8 q so that reads and writes both stay within a few lines;
 * along r (rs == 1) it is a copy of R floats per q.
 */
template <int R>
void packStrips(const float* src, i64 rs, i64 cs, i64 rows, i64 cols, float* dst) {
  constexpr i64 kQ = 8;
  for (i64 r0 = 0; r0 < rows; r0 += R, dst += R * cols) {
    const float* s = src + r0 * rs;
    const i64 nr = std::min<i64>(R, rows - r0);
    if (nr < R) std::memset(dst, 0, sizeof(float) * R * cols);
    if (cs == 1 && nr == R) {
      i64 q0 = 0;
      for (; q0 + kQ <= cols; q0 += kQ)
#pragma GCC unroll 2
        for (int r = 0; r < R; r++)
#pragma GCC unroll 8
          for (int q = 0; q < kQ; q++) dst[(q0 + q) * R + r] = s[r * rs + q0 + q];
      for (int r = 0; r < R; r++)
        for (i64 q = q0; q < cols; q++) dst[q * R + r] = s[r * rs + q];
    } else if (cs == 1) {
      for (i64 r = 0; r < nr; r++)
        for (i64 q = 0; q < cols; q++) dst[q * R + r] = s[r * rs + q];
    } else if (rs == 1 && nr == R) {
      for (i64 q = 0; q < cols; q++) std::memcpy(dst + q * R, s + q * cs, sizeof(float) * R);
    } else {
      for (i64 q = 0; q < cols; q++)
        for (i64 r = 0; r < nr; r++) dst[q * R + r] = s[r * rs + q * cs];
    }
  }
}

using Packer = void (*)(const float* src, i64 rs, i64 cs, i64 rows, i64 cols, float* dst);

/** A micro-kernel with its tile shape and the packers for its strips of A (mr) and B (nr). */
struct Kernel {
  const char* name;
  int mr, nr;
  MicroKernel run;
  Packer packA, packB;
};

template <int MR, int NR>
Kernel makeKernel(const char* name, MicroKernel run) {
  return Kernel{name, MR, NR, run, packStrips<MR>, packStrips<NR>};
}

/** C = beta * C over m x n (beta == 0: zeros, C not read). */
void scale(float* c, i64 ldc, i64 m, i64 n, float beta) {
  for (i64 i = 0; i < m; i++)
    for (i64 j = 0; j < n; j++) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
}

constexpr int kMaxMr = 6, kMaxNr = 64;  // the largest tile of the kernels above

Kernel chooseKernel() {
  const Kernel portable = makeKernel<6, 8>("portable", ukrPortable);
#if defined(__x86_64__) && defined(__GNUC__)
  const Kernel avx512 = makeKernel<6, 64>("avx512", ukrAvx512), avx2 = makeKernel<6, 16>("avx2", ukrAvx2);
  const bool has512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
  const bool has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const char* forced = std::getenv("LIGO_SGEMM_KERNEL");
  if (forced && *forced) {
    if (!std::strcmp(forced, "avx512") && has512) return avx512;
    if (!std::strcmp(forced, "avx2") && has2) return avx2;
    if (!std::strcmp(forced, "portable")) return portable;
    throwRange(std::string("LIGO_SGEMM_KERNEL=") + forced + " is not one of this CPU's kernels (avx512, avx2, portable)");
  }
  if (has512) return avx512;
  if (has2) return avx2;
#endif
  return portable;
}

const Kernel& kernel() {
  static const Kernel k = chooseKernel();
  return k;
}

}  // namespace

const char* sgemmKernelName() { return kernel().name; }

void sgemm(bool transA, bool transB, i64 m, i64 n, i64 k, float alpha, const float* a, i64 lda, const float* b,
           i64 ldb, float beta, float* c, i64 ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) return scale(c, ldc, m, n, beta);
  const Kernel& K = kernel();
  const int MR = K.mr, NR = K.nr;
  // op(B)(p, j) = b[p*bcs + j*brs], packed with j as the strip row.
  const i64 brs = transB ? ldb : 1, bcs = transB ? 1 : ldb;
  static thread_local Buffer bufA, bufB;
  const i64 ncMax = std::min(n, kNc), kcMax = std::min(k, kKc), mcMax = std::min(m, kMc);
  float* bp = bufB.get(size_t((ncMax + NR - 1) / NR * NR * kcMax));
  float* ap = bufA.get(size_t((mcMax + MR - 1) / MR * MR * kcMax));
  alignas(64) float tile[kMaxMr * kMaxNr];

  for (i64 jc = 0; jc < n; jc += kNc) {
    const i64 nc = std::min(kNc, n - jc);
    for (i64 pc = 0; pc < k; pc += kKc) {
      const i64 kc = std::min(kKc, k - pc);
      const float betaK = pc == 0 ? beta : 1.0f;
      K.packB(b + pc * bcs + jc * brs, brs, bcs, nc, kc, bp);
      for (i64 ic = 0; ic < m; ic += kMc) {
        const i64 mc = std::min(kMc, m - ic);
        if (transA) K.packA(a + ic + pc * lda, 1, lda, mc, kc, ap);  // op(A)(i, p) = a[p*lda + i]
        for (i64 jr = 0; jr < nc; jr += NR) {
          const i64 nr = std::min<i64>(NR, nc - jr);
          const float* bs = bp + jr * kc;
          for (i64 ir = 0; ir < mc; ir += MR) {
            const i64 mr = std::min<i64>(MR, mc - ir);
            // A's strip: packed, read in place, or (the last rows of an in-place A) packed now.
            const float* as = ap + ir * kc;
            i64 ais = 1, aps = MR;
            if (!transA && mr == MR) {
              as = a + (ic + ir) * lda + pc, ais = lda, aps = 1;
              // The next strip's rows are short streams the hardware prefetcher would start late.
              if (jr == 0 && ir + MR < mc)
                for (i64 i = 0; i < MR; i++)
                  for (i64 p = 0; p < kc; p += 16) __builtin_prefetch(as + (MR + i) * lda + p);
            } else if (!transA) {
              K.packA(a + (ic + ir) * lda + pc, lda, 1, mr, kc, ap);
              as = ap;
            }
            float* ct = c + (ic + ir) * ldc + jc + jr;
            if (mr == MR && nr == NR) {
              K.run(kc, as, ais, aps, bs, ct, ldc, alpha, betaK);
              continue;
            }
            // Partial tile: compute the whole tile aside, then merge the valid part.
            K.run(kc, as, ais, aps, bs, tile, NR, alpha, 0.0f);
            for (i64 i = 0; i < mr; i++)
              for (i64 j = 0; j < nr; j++)
                ct[i * ldc + j] = betaK == 0.0f ? tile[i * NR + j] : tile[i * NR + j] + betaK * ct[i * ldc + j];
          }
        }
      }
    }
  }
}

}  // namespace ligo
