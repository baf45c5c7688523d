"""Bug: wraps the log bucket with `large % buckets` instead of capping with min(large, buckets − 1).

Caught by the T5 monotone/saturation property past max_distance (buckets fall back to small values)."""

import numpy as np

from spec import validation


def t5_bucket(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    buckets, max_exact = validation.t5_bucket_args(relative_position, bidirectional, num_buckets, max_distance)
    rel = np.asarray(relative_position, dtype=np.int64)
    if bidirectional:
        buckets //= 2
        offset = np.where(rel > 0, buckets, 0)
        n = np.abs(rel)
    else:
        offset = np.zeros_like(rel)
        n = np.maximum(-rel, 0)
    steps = np.log(np.maximum(n, max_exact) / max_exact) / np.log(max_distance / max_exact) * (buckets - max_exact)
    large = (max_exact + steps.astype(np.int64)) % buckets
    return offset + np.where(n < max_exact, n, large)
