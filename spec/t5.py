r"""T5 relative-position buckets (Raffel et al. 2020; mesh-tensorflow ``_relative_position_bucket``).

relative_position = key − query, n = −relative_position. Bidirectional: buckets //= 2, keys after
the query (n < 0) use the upper half, n = |n|. Causal: n = max(n, 0). With E = buckets // 2 (max_exact)
and D = max_distance: bucket = n for n < E, else min(E + ⌊B·ln(n/E)/ln(D/E)⌋, buckets − 1), B = buckets − E.

The floor is evaluated *exactly* with integers: ⌊B·ln(n/E)/ln(D/E)⌋ ≥ j ⇔ n^B·E^j ≥ D^j·E^B.
Implementations evaluate it in floating point (float32 in every library), so where the exact value
is within the error model's slack of an integer, the neighbouring floor is also conformant: the oracle
returns both.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from spec import error_model, validation


@lru_cache(maxsize=65536)
def _log_offset(n: int, max_exact: int, max_distance: int, steps: int) -> int:
    """⌊steps·ln(n/E)/ln(D/E)⌋ capped at steps − 1, exactly (n ≥ E)."""
    offset = 0
    while offset < steps - 1 and n**steps * max_exact ** (offset + 1) >= max_distance ** (offset + 1) * max_exact**steps:
        offset += 1
    return offset


def log_coordinate(n, max_exact: int, max_distance: int, steps: int):
    """x = B·ln(n/E)/ln(D/E) in float64 (for the ambiguity slack only; the floor is exact)."""
    return steps * np.log(np.asarray(n, dtype=np.float64) / max_exact) / math.log(max_distance / max_exact)


def t5_bucket(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    """(exact bucket, also-acceptable bucket) as int64 arrays of the input's shape."""
    buckets, max_exact = validation.t5_bucket_args(relative_position, bidirectional, num_buckets, max_distance)
    n = -np.asarray(relative_position, dtype=np.int64)
    if bidirectional:
        buckets //= 2
        ret = np.where(n < 0, buckets, 0)
        n = np.abs(n)
    else:
        ret = np.zeros_like(n)
        n = np.maximum(n, 0)
    steps = buckets - max_exact
    log_n = np.maximum(n, max_exact)
    offset = np.array([_log_offset(int(v), max_exact, max_distance, steps) for v in log_n.ravel()], dtype=np.int64)
    offset = offset.reshape(n.shape)

    x = log_coordinate(log_n, max_exact, max_distance, steps)
    slack = error_model.t5_log_slack(x, steps, math.log(max_distance / max_exact))
    alt = offset.copy()
    in_log = (n > max_exact) & (x < steps)  # beyond x ≥ steps every floor is capped anyway
    alt = np.where(in_log & (x - offset <= slack) & (offset > 0), offset - 1, alt)
    alt = np.where(in_log & (offset + 1 - x <= slack), np.minimum(offset + 1, steps - 1), alt)

    exact = ret + np.where(n < max_exact, n, max_exact + offset)
    also = ret + np.where(n < max_exact, n, max_exact + alt)
    return exact, also
