#!/usr/bin/env python3
"""Coefficients of native/src/vmath.h's vnormCdf (GELU with the exact CDF, forward and backward).

erfc(z) = t Q(t) e^{-z^2} with t = 1 / (1 + P z), z >= 0, so Phi(-|x|) = 0.5 erfc(|x| / sqrt 2) =
t (Q(t) / 2) e^{-x^2 / 2}: one division and one exp, shared with the density phi(x) = e^{-x^2/2} /
sqrt(2 pi) that GELU's derivative needs. Q is a polynomial in t of degree DEG fitted for relative
error (iteratively reweighted least squares towards the minimax fit) at Chebyshev nodes of t in
(0, 1], that is z in [0, inf). Prints the coefficients of Q / 2 as float32 literals, highest degree
first (Horner order), and the fit's largest relative error over z in [0, 12] in double arithmetic.

    python3 scripts/fit_normal_cdf.py        (needs numpy: apt-get install python3-numpy)
"""
import math

import numpy as np

P = 0.4
DEG = 10


def scaled_erfc(z: float) -> float:
    """erfc(z) e^{z^2}, by its asymptotic series where e^{z^2} overflows."""
    if z < 26:
        return math.erfc(z) * math.exp(z * z)
    return (1 - 1 / (2 * z * z) + 3 / (4 * z**4) - 15 / (8 * z**6)) / (z * math.sqrt(math.pi))


def fit() -> np.ndarray:
    n = 6000
    t = 0.5 * (1 - np.cos(np.pi * (np.arange(n) + 0.5) / n))
    t = t[t > 2e-4]
    f = np.array([scaled_erfc(z) for z in (1 / t - 1) / P]) / t
    v = np.vander(t, DEG + 1, increasing=True)
    w = 1 / np.abs(f)
    for _ in range(60):
        c, *_ = np.linalg.lstsq(v * w[:, None], f * w, rcond=None)
        err = (v @ c - f) / f
        w = w * (1 + 30 * np.abs(err) / np.abs(err).max())
    return (0.5 * c).astype(np.float32)


def main() -> None:
    c = fit()
    z = np.concatenate([np.linspace(0, 6, 40001), np.linspace(6, 12, 4001)])
    t = 1 / (1 + P * z)
    want = 0.5 * np.array([scaled_erfc(v) for v in z]) / t
    got = np.vander(t, DEG + 1, increasing=True) @ c.astype(np.float64)
    print(f"t = 1 / (1 + {P} z); Q / 2, degree {DEG}, highest first:")
    for i in range(DEG, -1, -1):
        print(f"  {float(c[i]):.9e}f")
    print(f"largest relative error over z in [0, 12] (double arithmetic): {np.abs((got - want) / want).max():.2e}")


if __name__ == "__main__":
    main()
