"""Ulp-level fidelity of the project's own references (targets numpy, torch, torch-cuda when present).

cos(mθ_i) and sin(mθ_i) come out of ``rope_apply`` itself: x = 1 on every pair's first coordinate and
0 on its second gives (x₁cos − x₂sin, x₂cos + x₁sin) = (cos, sin) exactly, for all pairs and many
positions in one call. They are compared with the exact values correctly rounded to the output dtype
(``spec.phases.rounded_cos_sin``, ``spec.ulp``), at positions up to 2²⁴ − 1:

* float32: within 1 ulp (the float64 cos/sin of the reference are within 2 float64 ulps and 2⁻¹⁰⁰·|mθ|
  of exact, so one rounding to float32 is correct unless the float64 value lies within that much of a
  float32 midpoint: about 1 value in 2²⁸, then 1 ulp off);
* float16, bfloat16: equal to the correctly rounded value — the same argument with 2¹³ and 2¹⁶ times
  wider margins; the double rounding through float32 of torch's and ml_dtypes' casts is avoided by
  ``impl.reference``'s ``_round_once`` (so a mismatch here is a bug, not a tie);
* float64: within 4 ulps (libm cos/sin within 2 ulps — CUDA's documented bound, glibc and SLEEF 1 —
  plus the reduced phase's tail term and its sum).

The sinusoidal table is checked the same way in the dtype it comes back in. The default run checks a
fast subset (about 1,500 positions: 2²⁴ − 1, 2²³ + k, every power of two and its neighbours, small
and random ones) for bases 10⁴, 5·10⁵, 10⁶ and rotary dims 64, 128; with the Hypothesis profile
``thorough`` (how the project selects its long runs) every base × rotary dim, plus bases 10 and 10⁷,
and 2¹⁷ more positions per configuration (the last 2¹⁶ below 2²⁴ and 2¹⁶ random ones: a million
positions, 57 million cos/sin pairs in all), in chunks of 2¹⁴. Each test prints the worst ulp
distance and the fraction correctly rounded per target and dtype (``pytest tests/meta/test_fidelity.py -rP``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from hypothesis import settings

from spec.layouts import pair_indices
from spec.phases import rounded_cos_sin
from spec.targets import load_target
from spec.ulp import ulp_distance

THOROUGH = settings.get_current_profile_name() == "thorough"
LIMIT = 2**24
DTYPES = ("float32", "float16", "bfloat16", "float64")
MAX_ULPS = {"float32": 1, "float16": 0, "bfloat16": 0, "float64": 4}
#: (base, rotary_dim, layout): the default run covers each base and each rotary dim once, ``thorough`` all of them.
CONFIGS = [(10000.0, 128, "half"), (500000.0, 64, "interleaved"), (1000000.0, 128, "interleaved")]
if THOROUGH:
    CONFIGS += [(10000.0, 64, "interleaved"), (500000.0, 128, "half"), (1000000.0, 64, "half"), (10.0, 32, "half"),
                (1e7, 256, "interleaved")]
SINUSOIDAL_CONFIGS = [(10000.0, 128, "interleaved"), (1000000.0, 64, "concat")]
CHUNK = 2**14


def structured_positions() -> np.ndarray:
    rng = np.random.default_rng(2024)
    powers = 2 ** np.arange(24)
    return np.unique(np.concatenate([
        np.arange(64), powers, powers - 1, powers + 1, [LIMIT - 1, LIMIT - 2], 2**23 + np.arange(1, 64),
        LIMIT - 1 - rng.integers(0, 2**12, 150), rng.integers(0, LIMIT, 1200),
    ]))


def chunks():
    """The positions to check, chunk by chunk (the oracle of a chunk is computed once for all targets)."""
    yield structured_positions()
    if THOROUGH:
        rng = np.random.default_rng(2025)
        for start in range(LIMIT - 4 * CHUNK, LIMIT, CHUNK):
            yield np.arange(start, start + CHUNK)
        for _ in range(4):
            yield np.sort(rng.integers(0, LIMIT, CHUNK))


@lru_cache(maxsize=1)
def references():
    """The own references that can run here (torch-cuda only with a GPU)."""
    loaded = [load_target(name) for name in ("numpy", "torch", "torch-cuda")]
    return tuple(t for t in loaded if not t.unavailable)


class Tally:
    """Worst ulp distance and correctly rounded fraction per (target, dtype)."""

    def __init__(self):
        self.worst, self.exact, self.count = {}, {}, {}

    def add(self, key, distance):
        self.worst[key] = max(self.worst.get(key, 0), int(distance.max()))
        self.exact[key] = self.exact.get(key, 0) + int((distance == 0).sum())
        self.count[key] = self.count.get(key, 0) + distance.size

    def summary(self) -> str:
        return "; ".join(f"{t} {d}: max {self.worst[t, d]} ulp, {self.exact[t, d] / self.count[t, d]:.7f} correctly rounded "
                         f"({self.count[t, d]} values)" for t, d in sorted(self.worst))


def check(tally, name, dtype, observed, expected, what):
    distance = ulp_distance(observed, expected, dtype)
    tally.add((name, dtype), distance)
    worst = np.unravel_index(int(np.argmax(distance)), distance.shape)
    assert distance[worst] <= MAX_ULPS[dtype], (
        f"{name} {what} {dtype}: {int(distance[worst])} ulps at (row, pair) {tuple(map(int, worst))}: "
        f"observed {observed[worst]!r}, correctly rounded {expected[worst]!r}")


def unit_pairs(rows: int, rotary_dim: int, layout: str) -> np.ndarray:
    """x ``[1, rows, rotary_dim]``: 1 on every pair's first coordinate, 0 on its second."""
    x = np.zeros((1, rows, rotary_dim))
    x[..., pair_indices(layout, rotary_dim)[0]] = 1.0
    return x


@pytest.mark.parametrize("base, rotary_dim, layout", CONFIGS)
def test_rope_cos_sin_fidelity(base, rotary_dim, layout):
    first, second = pair_indices(layout, rotary_dim)
    tally = Tally()
    for positions in chunks():
        exact = rounded_cos_sin(positions, rotary_dim, base, DTYPES)
        x = unit_pairs(len(positions), rotary_dim, layout)
        for target in references():
            for dtype in DTYPES:
                native = target.op("rope_apply")(target.asarray(x, dtype), target.asarray(positions), base=base, layout=layout)
                out = target.to_numpy(native)[0]
                check(tally, target.name, dtype, out[:, first], exact[dtype][0], "cos")
                check(tally, target.name, dtype, out[:, second], exact[dtype][1], "sin")
    print(tally.summary())


@pytest.mark.parametrize("base, dim, layout", SINUSOIDAL_CONFIGS)
def test_sinusoidal_fidelity(base, dim, layout):
    first, second = pair_indices(layout, dim)
    tally = Tally()
    for positions in chunks():
        exact = rounded_cos_sin(positions, dim, base, ("float32", "float64"))  # NumPy's table is float64, torch's float32
        for target in references():
            table = target.to_numpy(target.op("sinusoidal")(target.asarray(positions), dim, base=base, layout=layout))
            dtype = str(table.dtype)
            cos, sin = exact[dtype]
            check(tally, target.name, dtype, table[:, first], sin, "sinusoidal sin")
            check(tally, target.name, dtype, table[:, second], cos, "sinusoidal cos")
    print(tally.summary())
