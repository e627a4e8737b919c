// Branch-free float32 exp / tanh / erf / GELU that GCC can vectorise inside plain loops (libm's
// expf/erff are scalar calls). Cephes-style range reduction and minimax polynomials; maximum
// relative error a few ulp over the whole float range (test/native.test.ts checks them against
// the reference backend). NaN propagates; exp overflows to +inf and underflows to 0.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "common.h"

namespace ligo {

LIGO_INLINE float bitsToFloat(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}

LIGO_INLINE int32_t floatToBits(float f) {
  int32_t i;
  std::memcpy(&i, &f, sizeof i);
  return i;
}

/** e^x. */
LIGO_INLINE float vexp(float x) {
  // Clamp to where e^x rounds to 0 / +inf in float (NaN passes through the comparisons).
  float xc = x < -104.0f ? -104.0f : x;
  xc = xc > 89.0f ? 89.0f : xc;
  // n = round(x / ln2) via the 1.5 * 2^23 shift trick (exact for |n| < 2^22); r = x - n ln2.
  const float kShift = 12582912.0f;
  const float t = xc * 1.44269504088896341f + kShift;
  const float n = t - kShift;
  const int32_t ni = floatToBits(t) - floatToBits(kShift);
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * (r * r) + r + 1.0f;
  // y * 2^n, split as 2^n1 * 2^n2 so that overflow and gradual underflow round correctly.
  const int32_t n1 = ni >> 1, n2 = ni - n1;
  return y * bitsToFloat(int32_t(uint32_t(n1 + 127) << 23)) * bitsToFloat(int32_t(uint32_t(n2 + 127) << 23));
}

/** tanh(x): odd polynomial near 0 (no cancellation), 1 - 2 / (e^{2|x|} + 1) elsewhere. */
LIGO_INLINE float vtanh(float x) {
  const float ax = x < 0.0f ? -x : x;
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float big = 1.0f - 2.0f / (vexp(2.0f * ax) + 1.0f);
  const float signedBig = x < 0.0f ? -big : big;
  return ax < 0.625f ? small : signedBig;
}

/** erf(x) for |x| < 1 (odd polynomial). */
LIGO_INLINE float verfSmall(float x) {
  const float z = x * x;
  float p = 7.853861353153693e-5f;
  p = p * z - 8.010193625184903e-4f;
  p = p * z + 5.188327685732524e-3f;
  p = p * z - 2.685381193529856e-2f;
  p = p * z + 1.128358514861418e-1f;
  p = p * z - 3.761262582423300e-1f;
  p = p * z + 1.128379165726710e+0f;
  return x * p;
}

/** erfc(a) for a >= 1 (garbage, never used, for smaller a): e^{-a^2} / a * P(1 / a^2). */
LIGO_INLINE float verfcLarge(float a) {
  const float q = 1.0f / a, y = q * q;
  float p = 2.326819970068386e-2f;  // 1 <= a < 2
  p = p * y - 1.387039388740657e-1f;
  p = p * y + 3.687424674597105e-1f;
  p = p * y - 5.824733027278666e-1f;
  p = p * y + 6.210004621745983e-1f;
  p = p * y - 4.944515323274145e-1f;
  p = p * y + 3.404879937665872e-1f;
  p = p * y - 2.741127028184656e-1f;
  p = p * y + 5.638259427386472e-1f;
  float r = -1.047766399936249e+1f;  // a >= 2
  r = r * y + 1.297719955372516e+1f;
  r = r * y - 7.495518717768503e+0f;
  r = r * y + 2.921019019210786e+0f;
  r = r * y - 1.015265279202700e+0f;
  r = r * y + 4.218463358204948e-1f;
  r = r * y - 2.820767439740514e-1f;
  r = r * y + 5.641895067754075e-1f;
  const float poly = a < 2.0f ? p : r;
  return vexp(-a * a) * q * poly;
}

/** erf(x). */
LIGO_INLINE float verf(float x) {
  const float ax = x < 0.0f ? -x : x;
  const float big = 1.0f - verfcLarge(ax);
  const float signedBig = x < 0.0f ? -big : big;
  return ax < 1.0f ? verfSmall(x) : signedBig;
}

/**
 * The standard normal CDF Phi(x), and its density phi(x) = e^{-x^2/2} / sqrt(2 pi) in *density (GELU's
 * derivative needs both). Phi(-|x|) = erfc(z) / 2 with z = |x| / sqrt 2, and erfc(z) = t Q(t) e^{-z^2},
 * t = 1 / (1 + 0.4 z), Q a degree-10 polynomial fitted for relative error (scripts/fit_normal_cdf.py:
 * 2.4e-8 over z in [0, 12] in exact arithmetic), so one division and one exp serve both, and Phi has
 * relative accuracy in the left tail. GELU ran 1.3-1.5x (forward) and 1.7-1.9x (backward) as fast as
 * with the erf / erfc pair this replaced, as accurate or more (BENCHMARKS.md, "Row kernels on two
 * threads, GELU with one exp").
 */
LIGO_INLINE float vnormCdf(float x, float* density) {
  const float z = (x < 0.0f ? -x : x) * 0.70710678118654752440f;
  const float t = 1.0f / (1.0f + 0.4f * z);
  float q = -1.460765209e-02f;  // Q / 2
  q = q * t + 7.022384554e-02f;
  q = q * t - 1.177647114e-01f;
  q = q * t + 6.878206879e-02f;
  q = q * t - 2.344863676e-02f;
  q = q * t + 4.195871577e-02f;
  q = q * t + 5.950399488e-02f;
  q = q * t + 8.586966991e-02f;
  q = q * t + 1.038068607e-01f;
  q = q * t + 1.128379330e-01f;
  q = q * t + 1.128379181e-01f;
  const float e = vexp(-0.5f * x * x);  // = e^{-z^2}, from x (one rounding fewer in the exponent)
  const float lower = t * q * e;        // Phi(-|x|)
  *density = e * 0.39894228040143267794f;
  return x < 0.0f ? lower : 1.0f - lower;
}

/** GELU with the exact CDF: x * Phi(x). */
LIGO_INLINE float vgeluErf(float x) {
  float unused;
  return x * vnormCdf(x, &unused);
}

/**
 * The logistic function 1 / (1 + e^-z) and its complement 1 - sigmoid(z) = e^-z sigmoid(z), both
 * with relative accuracy in the tails (GELU-tanh uses 0.5 (1 + tanh u) = sigmoid(2u); SiLU is x sigmoid(x)).
 */
LIGO_INLINE float vsigmoid(float z, float* complement) {
  const float e = vexp(-z);
  const float s = 1.0f / (1.0f + e);
  *complement = e > 1e30f ? 1.0f : e * s;  // e = inf would give inf * 0
  return s;
}

/**
 * max_j x[j]: -inf when n == 0, NaN if any element is NaN (as the reference's running max).
 * Written as an OpenMP simd max-reduction over a select, the form GCC vectorises without
 * -ffast-math.
 */
LIGO_INLINE float vmaxOf(const float* x, i64 n) {
  float m = -INFINITY;
  int nan = 0;
#pragma omp simd reduction(max : m) reduction(| : nan)
  for (i64 j = 0; j < n; j++) {
    const float v = x[j];
    m = v > m ? v : m;
    nan |= v != v;
  }
  return nan ? NAN : m;
}

}  // namespace ligo
