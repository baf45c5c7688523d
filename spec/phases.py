r"""Exact rotation phases m·θ_i reduced modulo 2π, in double-double arithmetic.

θ_i = b^(−2i/d) is evaluated once per (d, b) in mpmath at 160 bits and split into hi + lo doubles.
For an integer m (|m| < 2^53), m·hi is formed exactly as a double-double (Dekker's two-product),
m·lo adds the tail, and the reduction subtracts k·2π with 2π held as three doubles. The reduced
phase r ∈ [−π, π] is accurate to ≈ 2^−53·|r| + 2^−100·|mθ|, so cos r and sin r are within 2 u(float64)
of the exact values at every position this suite tests (the oracle term ``ORACLE_ABS`` of the error
model). A plain float64 product m·θ would carry |mθ|·2^−53 — as large as the float64 tolerance itself.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np

_PREC = 160
_SPLITTER = 134217729.0  # 2^27 + 1, Dekker's splitting constant for float64


def _split(a):
    t = _SPLITTER * a
    hi = t - (t - a)
    return hi, a - hi


def two_product(a, b):
    """Return (p, e) with p = fl(a·b) and p + e = a·b exactly (no FMA needed)."""
    p = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return p, e


def _doubles(value: mpmath.mpf, count: int) -> tuple[float, ...]:
    parts = []
    for _ in range(count):
        part = float(value)
        parts.append(part)
        value -= part
    return tuple(parts)


with mpmath.workprec(_PREC):
    _TWO_PI = _doubles(2 * mpmath.pi, 3)


@lru_cache(maxsize=4096)
def frequencies_mp(dim: int, base: float) -> tuple:
    """θ_i = base^(−2i/dim), i = 0 … dim/2 − 1, as mpmath numbers at 160 bits."""
    with mpmath.workprec(_PREC):
        b = mpmath.mpf(base)
        return tuple(b ** (-mpmath.mpf(2 * i) / dim) for i in range(dim // 2))


def split_dd(values) -> tuple[np.ndarray, np.ndarray]:
    """High-precision numbers as (hi, lo) float64 arrays with hi + lo ≈ value to 2^−106."""
    with mpmath.workprec(_PREC):
        hi = np.array([float(v) for v in values])
        lo = np.array([float(v - mpmath.mpf(h)) for v, h in zip(values, hi)])
    hi.flags.writeable = lo.flags.writeable = False
    return hi, lo


@lru_cache(maxsize=4096)
def frequencies_dd(dim: int, base: float) -> tuple[np.ndarray, np.ndarray]:
    """θ_i as a double-double (``split_dd`` of ``frequencies_mp``)."""
    return split_dd(frequencies_mp(dim, base))


def reduced_phases(positions, dim: int, base: float) -> np.ndarray:
    """(m·θ_i) mod 2π in [−π, π] for integer ``positions`` of any shape → shape ``[*positions.shape, dim/2]``."""
    return reduce_phases(positions, *frequencies_dd(dim, base))


def reduce_phases(positions, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """(m·θ) mod 2π in [−π, π] for frequencies θ = hi + lo given as a double-double."""
    m = np.asarray(positions, dtype=np.int64)
    if m.size and np.abs(m).max() >= 2**52:
        raise ValueError(f"positions must have |m| < 2^52 for the exact oracle, got {np.abs(m).max()}")
    m = m.astype(np.float64)[..., None]
    p, e = two_product(m, hi)
    e = e + m * lo
    k = np.rint(p / _TWO_PI[0])
    kc, kc_err = two_product(k, _TWO_PI[0])
    # p − kc is exact (Sterbenz: the two agree to within a factor of 2 whenever k ≠ 0).
    return (p - kc) + (e - kc_err) - k * _TWO_PI[1] - k * _TWO_PI[2]


def phase_magnitudes(positions, dim: int, base: float) -> np.ndarray:
    """|m·θ_i| before reduction (what a float angle's rounding error scales with)."""
    return np.abs(np.asarray(positions, dtype=np.float64))[..., None] * frequencies_dd(dim, base)[0]


def pair_exponents(dim: int) -> np.ndarray:
    """e_i = 2i/dim, the exponent of base in θ_i (the error model's sensitivity to base)."""
    return np.arange(dim // 2) * 2.0 / dim
