"""``spec.ulp``: ulp helpers on hand-checkable cases, correct rounding against mpmath, and the exact
cos/sin tables (``spec.rope.cos_sin``, ``spec.sinusoidal.rounded_table``) against mpmath.

A rounding R of y is checked by definition, not by a second rounding routine: R is a value of the
dtype, no neighbour of R is nearer to y (compared exactly in mpmath), and on a tie R is even.
"""

from __future__ import annotations

import ml_dtypes
import mpmath
import numpy as np
import pytest

from spec import rope, sinusoidal
from spec.phases import cos_sin_dd, frequencies_dd
from spec.ulp import FORMATS, round_to, ulp_distance, ulp_of

DTYPES = tuple(FORMATS)
ALL_DTYPES = pytest.mark.parametrize("dtype", DTYPES)


def finfo(dtype):
    return ml_dtypes.finfo(FORMATS[dtype].dtype)


def typed(values, dtype):
    return np.asarray(values, dtype=np.float64).astype(FORMATS[dtype].dtype)


def assert_nearest(rounded, exact, dtype):
    """Each ``rounded`` entry is RN of the mpf in ``exact`` (same order): nearest, ties to even."""
    fmt = FORMATS[dtype]
    rounded = np.asarray(rounded, dtype=fmt.dtype).ravel()
    up = np.nextafter(rounded, np.array(np.inf, dtype=fmt.dtype))
    down = np.nextafter(rounded, np.array(-np.inf, dtype=fmt.dtype))
    with mpmath.workprec(1200):  # exact differences: each value is a float64 or an mpf of ≤ 300 bits
        for r, u, d, y in zip(rounded, up, down, exact):
            assert np.isfinite(float(r)), (y, r)
            gap = abs(mpmath.mpf(float(r)) - y)
            others = [abs(mpmath.mpf(float(n)) - y) for n in (u, d) if np.isfinite(float(n)) and n != r]
            even = not int(np.asarray(r).view(fmt.bits)) & 1
            assert all(gap < o or (gap == o and even) for o in others), f"{dtype}: {y} rounded to {r!r}, neighbours {d!r}, {u!r}"


# --- ulp helpers on hand-checkable cases -----------------------------------------------------------

@ALL_DTYPES
def test_adjacent_values_are_one_ulp_apart(dtype):
    info = finfo(dtype)
    values = typed([1.0, -1.0, 0.1, 3.0, -1000.0, float(info.tiny), float(info.smallest_subnormal), 0.0], dtype)
    up = np.nextafter(values, np.array(np.inf, dtype=values.dtype))
    assert (ulp_distance(values, up, dtype) == 1).all()
    assert (ulp_distance(up, values, dtype) == 1).all()
    assert (ulp_distance(values, values, dtype) == 0).all()


@ALL_DTYPES
def test_signed_zeros_max_and_infinity(dtype):
    info = finfo(dtype)
    tiny, biggest = float(info.smallest_subnormal), float(info.max)
    a = typed([0.0, 0.0, -tiny, biggest, -biggest, biggest], dtype)
    b = typed([-0.0, tiny, tiny, np.inf, -np.inf, -biggest], dtype)
    keys_of_max = int(typed([biggest], dtype).view(FORMATS[dtype].bits)[0])
    assert ulp_distance(a, b, dtype).tolist() == [0, 1, 2, 1, 1, 2 * keys_of_max]


def test_bfloat16_through_ml_dtypes():
    one_up = np.array([1 + 2**-7], dtype=ml_dtypes.bfloat16)
    assert ulp_distance(np.array([1.0], dtype=ml_dtypes.bfloat16), one_up, "bfloat16").tolist() == [1]
    assert ulp_distance([1.0], [2.0], "bfloat16").tolist() == [2**7]  # float64 inputs exact in bfloat16
    assert ulp_of([1.0, 0.0, 3.0e38], "bfloat16").tolist() == [2.0**-7, 2.0**-133, 2.0**(127 - 7)]


@ALL_DTYPES
def test_ulp_of_matches_the_gap_above(dtype):
    info = finfo(dtype)
    fmt = FORMATS[dtype]
    assert ulp_of([1.0, -1.0], dtype).tolist() == [float(info.eps)] * 2
    assert ulp_of([0.0], dtype).tolist() == [float(info.smallest_subnormal)]
    assert ulp_of([float(info.max)], dtype).tolist() == [2.0 ** (fmt.emax - fmt.precision + 1)]
    rng = np.random.default_rng(7)
    values = typed(rng.uniform(0, 1, 300) * 2.0 ** rng.integers(fmt.emin - 4, fmt.emax - 1, 300), dtype)
    gap = np.nextafter(values, np.array(np.inf, dtype=values.dtype)).astype(np.float64) - values.astype(np.float64)
    assert (ulp_of(values, dtype) == gap).all()


def test_ulp_distance_refuses_nan_and_inexact_values():
    with pytest.raises(ValueError, match="NaN"):
        ulp_distance([np.nan], [1.0], "float32")
    with pytest.raises(ValueError, match="exactly representable"):
        ulp_distance([0.1], [1.0], "float32")


def test_ulp_distance_is_the_count_of_values_between():
    rng = np.random.default_rng(3)
    a = rng.standard_normal(200).astype(np.float32)
    b = rng.standard_normal(200).astype(np.float32)

    def count(x, y):  # by walking: only for nearby pairs
        steps, towards = 0, np.float32(np.inf if y > x else -np.inf)
        while x != y:
            x, steps = np.nextafter(x, towards), steps + 1
        return steps

    near = (a + rng.integers(-40, 40, 200) * np.spacing(a)).astype(np.float32)
    assert ulp_distance(a, near, "float32").tolist() == [count(x, y) for x, y in zip(a, near)]
    # Opposite signs: the distance goes through zero (both zeros count once).
    expected = [int(abs(x).view(np.uint32)) + int(abs(y).view(np.uint32)) if (x < 0) != (y < 0) else None for x, y in zip(a, b)]
    observed = ulp_distance(a, b, "float32").tolist()
    assert all(e is None or e == o for e, o in zip(expected, observed))


# --- correct rounding against mpmath -----------------------------------------------------------------

def near_midpoints(dtype, rng, count):
    """float64 values around midpoints of ``dtype`` (the double-rounding traps), ties included."""
    fmt = FORMATS[dtype]
    exponents = rng.integers(max(fmt.emin - 3, -1000), min(fmt.emax, 1000), count)
    grid = np.ldexp(rng.integers(2 ** (fmt.precision - 1), 2**fmt.precision, count).astype(np.float64), exponents - fmt.precision + 1)
    midpoint = grid + fmt.quantum(exponents) / 2
    nudge = rng.choice([0.0, 1.0, -1.0], count) * np.abs(midpoint) * 2.0 ** rng.integers(-52, -30, count)
    return np.where(rng.random(count) < 0.5, midpoint + nudge, grid * rng.uniform(0.5, 2, count)) * rng.choice([-1, 1], count)


@ALL_DTYPES
def test_round_float64_matches_mpmath(dtype):
    rng = np.random.default_rng(11)
    values = near_midpoints(dtype, rng, 300)
    assert_nearest(round_to(values, dtype), [mpmath.mpf(v) for v in values], dtype)


@ALL_DTYPES
def test_round_double_double_matches_mpmath(dtype):
    """y = hi + lo with hi on a midpoint of ``dtype`` and a tail beyond float64: only the tail decides."""
    rng = np.random.default_rng(12)
    hi = near_midpoints(dtype, rng, 300)
    lo = hi * rng.choice([0.0, 1.0, -1.0], 300) * 2.0 ** rng.integers(-110, -54, 300)
    with mpmath.workprec(300):
        exact = [mpmath.mpf(h) + mpmath.mpf(t) for h, t in zip(hi, lo)]
    assert_nearest(round_to(hi, dtype, lo), exact, dtype)


@ALL_DTYPES
def test_round_mpmath_numbers(dtype):
    rng = np.random.default_rng(13)
    with mpmath.workprec(200):
        exact = [mpmath.mpf(v) * (1 + mpmath.mpf(2) ** -int(k)) for v, k in zip(near_midpoints(dtype, rng, 300), rng.integers(40, 150, 300))]
        rounded = round_to(exact, dtype)
    assert rounded.dtype == FORMATS[dtype].dtype
    assert_nearest(rounded, exact, dtype)


# --- the exact tables against mpmath -------------------------------------------------------------------

@ALL_DTYPES
def test_rope_cos_sin_correctly_rounded(dtype):
    """spec.rope.cos_sin at random positions below 2²⁴ (and 0, 2²⁴ − 1) against 300-bit mpmath."""
    rng = np.random.default_rng(21)
    positions = np.concatenate([[0, 1, 2**24 - 1], rng.integers(0, 2**24, 27)])
    for base, rotary_dim in ((10000.0, 64), (500000.0, 128), (1e7, 20)):
        cos, sin = rope.cos_sin(positions, rotary_dim, base=base, dtype=dtype)
        pairs = rng.integers(0, rotary_dim // 2, len(positions))
        rows = np.arange(len(positions))
        with mpmath.workprec(300):
            phase = [int(m) * mpmath.mpf(base) ** (-mpmath.mpf(2 * int(i)) / rotary_dim) for m, i in zip(positions, pairs)]
            assert_nearest(cos[rows, pairs], [mpmath.cos(p) for p in phase], dtype)
            assert_nearest(sin[rows, pairs], [mpmath.sin(p) for p in phase], dtype)


def test_sinusoidal_rounded_table_layout():
    positions = np.array([0, 3, 2**20 + 1])
    table = sinusoidal.rounded_table(positions, 8, base=10000.0, layout="concat", dtype="float16")
    cos, sin = rope.cos_sin(positions, 8, base=10000.0, dtype="float16")
    assert table.dtype == np.float16
    assert np.array_equal(table, np.concatenate([sin, cos], axis=-1))
    assert np.array_equal(sinusoidal.rounded_table(positions, 8, dtype="float16")[:, 1::2], cos)


def test_double_double_trig_within_its_bound():
    """cos_sin_dd's values against 300-bit mpmath: the stated bound holds (with room), and m = 0 is exact."""
    rng = np.random.default_rng(22)
    positions = np.concatenate([[0, 1, 2**24 - 1, 2**40 + 3], rng.integers(0, 2**30, 36)])
    dim, base = 96, 123456.0
    (ch, cl), (sh, sl), bound = cos_sin_dd(positions, *frequencies_dd(dim, base))
    worst = 0.0
    with mpmath.workprec(300):
        for row, m in enumerate(positions):
            for i in range(0, dim // 2, 5):
                phase = int(m) * mpmath.mpf(base) ** (-mpmath.mpf(2 * i) / dim)
                error = max(abs(mpmath.cos(phase) - mpmath.mpf(ch[row, i]) - mpmath.mpf(cl[row, i])),
                            abs(mpmath.sin(phase) - mpmath.mpf(sh[row, i]) - mpmath.mpf(sl[row, i])))
                if m == 0:
                    assert error == 0
                else:
                    worst = max(worst, float(error / bound[row, i]))
    assert worst < 0.25, worst
