"""Bug: rounds the log-region coordinate to nearest (np.round) instead of truncating it.

Caught by the T5 bucket-value property in the log region (e.g. relative_position = −10 → 9, not 8)."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "rounded log bucket"


def t5_bucket(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    buckets, _ = validation.t5_bucket_args(relative_position, bidirectional, num_buckets, max_distance)

    def rounded(max_exact, steps, buckets):
        return textbook.log_bucket(max_exact, np.round(steps), buckets)

    return textbook.bucket(relative_position, bidirectional, buckets, max_distance, log_bucket=rounded)
