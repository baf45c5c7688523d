"""Bug: takes relative_position as query − key (negates the input), mirroring the buckets.

Caught by the T5 bucket-value property (future keys must use the upper half; causal mode sees past keys)."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "sign convention"


def t5_bucket(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    buckets, _ = validation.t5_bucket_args(relative_position, bidirectional, num_buckets, max_distance)
    query_minus_key = -np.asarray(relative_position, dtype=np.int64)
    return textbook.bucket(query_minus_key, bidirectional, buckets, max_distance)
