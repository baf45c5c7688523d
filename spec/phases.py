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

from spec.ulp import correctly_rounded, two_sum, ziv_round

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
    """θ_i = base^(−2i/dim), i = 0 … dim/2 − 1, as mpmath numbers at 160 bits.

    θ_i = θ_1^i by repeated multiplication with 16 guard bits: i ≤ 2¹⁵ roundings of 2^−176 each stay below the
    final rounding to 160 bits (one pow per (dim, base) instead of one per pair: 6× faster, the same numbers)."""
    with mpmath.workprec(_PREC + 16):
        step = mpmath.mpf(base) ** (-mpmath.mpf(2) / dim)
        powers = [mpmath.mpf(1)]
        for _ in range(1, dim // 2):
            powers.append(powers[-1] * step)
    with mpmath.workprec(_PREC):
        return tuple(+value for value in powers)


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


def _reduce(positions, hi: np.ndarray, lo: np.ndarray, period: tuple[float, float, float]):
    """(k, head, tail): m·θ = k·period + head + tail for θ = hi + lo and a period held as three doubles."""
    m = np.asarray(positions, dtype=np.int64)
    if m.size and np.abs(m).max() >= 2**52:
        raise ValueError(f"positions must have |m| < 2^52 for the exact oracle, got {np.abs(m).max()}")
    m = m.astype(np.float64)[..., None]
    p, e = two_product(m, hi)
    e = e + m * lo
    k = np.rint(p / period[0])
    kc, kc_err = two_product(k, period[0])
    # p − kc is exact (Sterbenz: the two agree to within a factor of 2 whenever k ≠ 0).
    return k, p - kc, ((e - kc_err) - k * period[1]) - k * period[2]


def reduce_phases(positions, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """(m·θ) mod 2π in [−π, π] for frequencies θ = hi + lo given as a double-double."""
    _, head, tail = _reduce(positions, hi, lo, _TWO_PI)
    return head + tail


def phase_magnitudes(positions, dim: int, base: float) -> np.ndarray:
    """|m·θ_i| before reduction (what a float angle's rounding error scales with)."""
    return np.abs(np.asarray(positions, dtype=np.float64))[..., None] * frequencies_dd(dim, base)[0]


def pair_exponents(dim: int) -> np.ndarray:
    """e_i = 2i/dim, the exponent of base in θ_i (the error model's sensitivity to base)."""
    return np.arange(dim // 2) * 2.0 / dim


# --- cos and sin correctly rounded ------------------------------------------------------------------
#
# For ulp-level questions the phase must keep its tail: cos and sin are evaluated from the phase
# reduced modulo π/2 *as a double-double*, by Taylor series in double-double arithmetic (no libm), to
# an absolute error below 2⁻⁹⁸·(1 + |mθ|); ``spec.ulp.correctly_rounded`` then rounds, and settles the
# rare values within that bound of a rounding boundary in mpmath.

with mpmath.workprec(_PREC):
    _HALF_PI = _doubles(mpmath.pi / 2, 3)
    # Taylor coefficients in z = r² of cos r, (−1)^k/(2k)!, and of sin(r)/r, (−1)^k/(2k+1)!, up to the
    # first below 2⁻¹²⁰ for |r| ≤ π/4; the terms below 2⁻⁵⁰ are summed in float64 (their rounding is
    # below 2⁻¹⁰³), the others in double-double.
    _COS_TERMS = [_doubles((-1) ** k / mpmath.factorial(2 * k), 2) for k in range(17)]
    _SIN_TERMS = [_doubles((-1) ** k / mpmath.factorial(2 * k + 1), 2) for k in range(17)]
_COS_DD, _SIN_DD = 9, 8  # how many leading terms need double-double
#: |error| of the double-double cos/sin per unit of (1 + |mθ|): the phase carries ≤ 2⁻¹⁰²·|mθ| (θ's
#: split 2⁻¹⁰⁶, the product's tail 2⁻¹⁰⁵, π/2's third part and the tail's sums 2⁻¹⁰⁴), the series ≤ 2⁻¹⁰¹.
DD_TRIG_ERROR = 2.0**-98


def _fast_two_sum(a, b):
    s = a + b
    return s, b - (s - a)


def _dd_mul(ah, al, bh, bl):
    p, e = two_product(ah, bh)
    return _fast_two_sum(p, e + (ah * bl + al * bh))


def _dd_add(ah, al, bh, bl):
    s, e = two_sum(ah, bh)
    return _fast_two_sum(s, e + (al + bl))


def _series(terms, dd_count, zh, zl):
    """Σ terms[k]·z^k by Horner: the small tail in float64, the leading ``dd_count`` terms in double-double."""
    tail = np.zeros_like(zh)
    for hi_k, _ in reversed(terms[dd_count:]):
        tail = tail * zh + hi_k
    acc = (tail, np.zeros_like(zh))
    for hi_k, lo_k in reversed(terms[:dd_count]):
        acc = _dd_add(*_dd_mul(*acc, zh, zl), hi_k, lo_k)
    return acc


def quadrant_phases(positions, hi: np.ndarray, lo: np.ndarray):
    """(q, r_hi, r_lo): m·θ = q·π/2 + r_hi + r_lo for θ = hi + lo, |r| ≤ π/4 (+ rounding), q mod 4."""
    k, head, tail = _reduce(positions, hi, lo, _HALF_PI)  # the tail is ≈ 2⁻⁵²·|mθ|
    r_hi, r_lo = two_sum(head, tail)
    return np.mod(k, 4).astype(np.int64), r_hi, r_lo


def cos_sin_dd(positions, hi: np.ndarray, lo: np.ndarray):
    """((cos_hi, cos_lo), (sin_hi, sin_lo), bound): cos and sin of m·(hi + lo) as double-doubles,
    shape ``[*positions.shape, len(hi)]``, within ``bound`` = 2⁻⁹⁸·(1 + |mθ|) (0 at m = 0: exact)."""
    q, rh, rl = quadrant_phases(positions, hi, lo)
    zh, zl = _dd_mul(rh, rl, rh, rl)
    c = _series(_COS_TERMS, _COS_DD, zh, zl)
    s = _dd_mul(rh, rl, *_series(_SIN_TERMS, _SIN_DD, zh, zl))
    # cos(qπ/2 + r), sin(qπ/2 + r) for q = 0, 1, 2, 3: (c, s), (−s, c), (−c, −s), (s, −c).
    swap, cos_negative, sin_negative = q % 2 == 1, (q == 1) | (q == 2), q >= 2
    cos = [np.where(cos_negative, -1, 1) * np.where(swap, sv, cv) for cv, sv in zip(c, s)]
    sin = [np.where(sin_negative, -1, 1) * np.where(swap, cv, sv) for cv, sv in zip(c, s)]
    m = np.abs(np.asarray(positions, dtype=np.float64))[..., None]
    bound = np.where(m == 0, 0.0, DD_TRIG_ERROR * (1 + m * (np.abs(hi) + np.abs(lo))))
    return tuple(cos), tuple(sin), bound


def exact_trig(function, position: int, dim: int, base: float, pair: int, dtype: str):
    """``function`` (mpmath.cos or mpmath.sin) of position·θ_pair at any precision, correctly rounded."""

    def evaluate(prec):
        with mpmath.workprec(prec + max(abs(position), 1).bit_length()):
            theta = mpmath.mpf(base) ** (-mpmath.mpf(2 * pair) / dim)
            return function(position * theta), mpmath.ldexp(abs(position) * theta + 1, 8 - prec)

    return ziv_round(evaluate, dtype)


def rounded_cos_sin(positions, dim: int, base: float, dtypes: tuple[str, ...]) -> dict:
    """{dtype: (cos(mθ_i), sin(mθ_i))} correctly rounded, each ``[*positions.shape, dim/2]`` (one evaluation for all dtypes)."""
    m = np.asarray(positions, dtype=np.int64)
    cos, sin, bound = cos_sin_dd(m, *frequencies_dd(dim, base))

    def rounded(dd, function, dtype):
        def exact(index):
            return exact_trig(function, int(m[index[:-1]]), dim, base, int(index[-1]), dtype)

        return correctly_rounded(*dd, bound, dtype, exact)

    return {dtype: (rounded(cos, mpmath.cos, dtype), rounded(sin, mpmath.sin, dtype)) for dtype in dtypes}
