"""Bug: max_exact = buckets // 4 instead of buckets // 2 (a narrower exact region, other log buckets).

Caught by the T5 bucket-value property (e.g. relative_position = −5 must be bucket 5 with 32 buckets)."""

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
    max_exact = max(buckets // 4, 1)
    steps = np.log(np.maximum(n, max_exact) / max_exact) / np.log(max_distance / max_exact) * (buckets - max_exact)
    large = np.minimum(max_exact + steps.astype(np.int64), buckets - 1)
    return offset + np.where(n < max_exact, n, large)
