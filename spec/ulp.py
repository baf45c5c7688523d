r"""Correct rounding to float64, float32, float16 and bfloat16, and distances in units in the last place.

``round_to(values, dtype, lo=None)`` returns RN(y), y rounded to nearest (ties to even) in ``dtype``:

* ``values`` float64 (optionally with a tail ``lo``, y = values + lo exactly, a double-double): y is
  first rounded *to odd* in float64 (of the two float64 neighbours of y, the one whose last bit is
  1; y itself when it is a float64), then rounded to nearest in ``dtype``. Rounding to odd with
  p + 2 or more bits followed by rounding to nearest with p bits is a single correct rounding (Boldo &
  Melquiond 2008), so no double rounding occurs however close y is to a midpoint of ``dtype``.
  float16 and bfloat16 take a second round-to-odd step, to float32 (24 ≥ 11 + 2 bits), before their
  cast from float32: casts from float64 are not always single roundings (ml_dtypes' and torch's go
  through float32: 1 + 2⁻⁸ + 2⁻³⁰ becomes bfloat16 1, not 1 + 2⁻⁷).
* ``values`` mpmath numbers: scaled by the quantum 2^(max(e, emin) − p + 1) of their binade (exact),
  rounded to an integer with ``mpmath.nint`` (ties to even) and scaled back: exact arithmetic.

``correctly_rounded(hi, lo, bound, dtype, exact)`` rounds values known as a double-double to within an
absolute ``bound``: where y − bound and y + bound round alike, that is RN(y); elsewhere (a rounding
boundary within the bound: rare) ``exact`` settles it, usually by ``ziv_round``: y in mpmath with an
error bound, the precision doubled until both ends of the interval round alike (Ziv's strategy).

``ulp_of(x, dtype)`` = 2^(max(⌊log₂|x|⌋, emin) − p + 1): the spacing of ``dtype`` in |x|'s binade
(ulp(0) is the smallest subnormal). ``ulp_distance(a, b, dtype)`` counts the ``dtype`` values between
a and b: the bit patterns mapped to ordered integers (sign-magnitude → two's complement), so adjacent
floats are 1 apart, +0 and −0 are 0 apart, and the largest finite value is 1 from infinity.
"""

from __future__ import annotations

from dataclasses import dataclass

import ml_dtypes
import mpmath
import numpy as np


@dataclass(frozen=True)
class Format:
    """A binary floating-point format: precision p (with the hidden bit), exponent range, storage."""

    dtype: np.dtype
    bits: type
    precision: int
    emin: int
    emax: int

    def quantum(self, exponent):
        """The spacing of values with ⌊log₂|x|⌋ = ``exponent`` (subnormals share emin's)."""
        return np.ldexp(1.0, np.maximum(exponent, self.emin) - self.precision + 1)


FORMATS = {
    "float64": Format(np.dtype(np.float64), np.uint64, 53, -1022, 1023),
    "float32": Format(np.dtype(np.float32), np.uint32, 24, -126, 127),
    "float16": Format(np.dtype(np.float16), np.uint16, 11, -14, 15),
    "bfloat16": Format(np.dtype(ml_dtypes.bfloat16), np.uint16, 8, -126, 127),
}


def format_of(dtype: str) -> Format:
    try:
        return FORMATS[dtype]
    except KeyError:
        raise ValueError(f"dtype must be one of {tuple(FORMATS)}, got {dtype!r}") from None


def two_sum(a, b):
    """(s, e) with s = fl(a + b) and s + e = a + b exactly (Knuth; any magnitudes)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _to_odd(nearest, direction, bits):
    """Round to odd: ``nearest`` is RN(y) in its type, ``direction`` the sign of y − nearest (0: y exact).

    y lies strictly between ``nearest`` and its neighbour towards y; exactly one of the two has an odd
    bit pattern, and that one is the result.
    """
    towards = np.where(direction > 0, np.inf, -np.inf).astype(nearest.dtype)
    odd = (nearest.view(bits) & 1).astype(bool)
    return np.where((direction == 0) | odd, nearest, np.nextafter(nearest, towards))


def round_to(values, dtype: str, lo=None) -> np.ndarray:
    """RN(y) as a NumPy array of ``dtype`` (module docstring): y = values (+ lo), or mpmath numbers."""
    fmt = format_of(dtype)
    if isinstance(values, mpmath.mpf) or np.asarray(values).dtype == object:
        objects = np.asarray(values, dtype=object)
        rounded = [_round_mp(v, fmt) for v in objects.flat]
        return np.asarray(rounded, dtype=np.float64).reshape(objects.shape).astype(fmt.dtype)
    hi = np.asarray(values, dtype=np.float64)
    lo = np.zeros_like(hi) if lo is None else np.asarray(lo, dtype=np.float64)
    hi, lo = two_sum(hi, lo)  # hi = RN(y) in float64, lo = y − hi
    if dtype == "float64":
        return hi
    with np.errstate(over="ignore"):
        odd = _to_odd(hi, np.sign(lo), np.uint64)
        if dtype != "float32":
            nearest = odd.astype(np.float32)
            odd = _to_odd(nearest, np.sign(odd - nearest.astype(np.float64)), np.uint32)
        return odd.astype(fmt.dtype)


def _round_mp(value: mpmath.mpf, fmt: Format) -> float:
    if not value:
        return 0.0
    _, exponent = mpmath.frexp(value)  # value = mantissa·2^exponent, mantissa ∈ [1/2, 1)
    shift = max(int(exponent) - 1, fmt.emin) - fmt.precision + 1
    rounded = mpmath.ldexp(mpmath.nint(mpmath.ldexp(value, -shift)), shift)
    if abs(rounded) >= mpmath.ldexp(1, fmt.emax + 1):
        return float(mpmath.sign(value)) * np.inf
    return float(rounded)  # exact: a p-bit integer times a power of two


def ziv_round(evaluate, dtype: str, prec: int = 128, max_prec: int = 4096):
    """RN(y) for ``evaluate(prec)`` → (y, error) in mpmath, doubling prec until y ± error round alike."""
    while prec <= max_prec:
        y, error = evaluate(prec)
        with mpmath.workprec(2 * prec):  # y ± 2·error: the sums' own rounding is inside the margin
            below, above = round_to(y - 2 * error, dtype), round_to(y + 2 * error, dtype)
        if below == above:
            return below
        prec *= 2
    raise ArithmeticError(f"value not settled at {max_prec} bits (an exact midpoint of {dtype}?)")


def correctly_rounded(hi, lo, bound, dtype: str, exact) -> np.ndarray:
    """RN(y) in ``dtype`` for y = hi + lo ± ``bound``; ``exact(index)`` → RN(y) where that is undecided.

    The interval is widened to 2·bound: forming lo ± bound in float64 rounds by ≤ 2⁻⁵³(|lo| + bound).
    """
    hi, lo, bound = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (hi, lo, bound)))
    result, above = round_to(hi, dtype, lo - 2 * bound), round_to(hi, dtype, lo + 2 * bound)  # equal: RN(y)
    for index in map(tuple, np.argwhere(result.astype(np.float64) != above.astype(np.float64))):
        result[index] = exact(index)
    return result


def _exactly(values, fmt: Format) -> np.ndarray:
    """``values`` as an array of ``fmt``, refusing NaN and values the format does not hold exactly."""
    array = np.asarray(values)
    if array.dtype != fmt.dtype:
        wide = array.astype(np.float64)
        array = wide.astype(fmt.dtype)
        with np.errstate(invalid="ignore"):
            if not np.array_equal(array.astype(np.float64), wide, equal_nan=True):
                raise ValueError(f"values are not all exactly representable in {fmt.dtype}")
    if np.isnan(array.astype(np.float64)).any():
        raise ValueError("ulp_distance is undefined for NaN")
    return array


def _ordered(array: np.ndarray, fmt: Format) -> np.ndarray:
    """Bit patterns as int64 keys increasing with the value (±0 → 0, the largest finite → ∞'s key − 1)."""
    bits = array.view(fmt.bits).astype(np.uint64)
    sign = np.uint64(1) << np.uint64(8 * fmt.dtype.itemsize - 1)
    magnitude = (bits & ~sign).astype(np.int64)
    return np.where(bits & sign, -magnitude, magnitude)


def ulp_distance(a, b, dtype: str) -> np.ndarray:
    """How many ``dtype`` values apart a and b are (uint64; both must be exact in ``dtype``, not NaN)."""
    fmt = format_of(dtype)
    ka, kb = _ordered(_exactly(a, fmt), fmt), _ordered(_exactly(b, fmt), fmt)
    # Modulo 2⁶⁴ the unsigned difference is exact: |ka − kb| < 2⁶⁴ even when ka − kb overflows int64.
    ua, ub = ka.astype(np.uint64), kb.astype(np.uint64)
    return np.where(ka >= kb, ua - ub, ub - ua)


def ulp_of(x, dtype: str) -> np.ndarray:
    """The spacing of ``dtype`` in the binade of |x| (float64; ∞ for ±∞)."""
    fmt = format_of(dtype)
    x = np.abs(np.asarray(x, dtype=np.float64))
    _, exponent = np.frexp(x)  # x = mantissa·2^exponent, mantissa ∈ [1/2, 1); 0 for x = 0
    ulp = fmt.quantum(np.where(x > 0, exponent - 1, fmt.emin))
    return np.where(np.isinf(x), np.inf, ulp)
