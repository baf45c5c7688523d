"""Bug: wraps the log bucket with `large % buckets` instead of capping with min(large, buckets − 1).

Caught by the T5 monotone/saturation property past max_distance (buckets fall back to small values)."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "modulo cap"


def t5_bucket(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    buckets, _ = validation.t5_bucket_args(relative_position, bidirectional, num_buckets, max_distance)

    def wrapped(max_exact, steps, buckets):
        return (max_exact + steps.astype(np.int64)) % buckets

    return textbook.bucket(relative_position, bidirectional, buckets, max_distance, log_bucket=wrapped)
