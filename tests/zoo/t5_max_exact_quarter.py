"""Bug: max_exact = buckets // 4 instead of buckets // 2 (a narrower exact region, other log buckets).

Caught by the T5 bucket-value property (e.g. relative_position = −5 must be bucket 5 with 32 buckets)."""

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "other max_exact"


def t5_bucket(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    buckets, _ = validation.t5_bucket_args(relative_position, bidirectional, num_buckets, max_distance)
    return textbook.bucket(relative_position, bidirectional, buckets, max_distance, exact=lambda buckets: max(buckets // 4, 1))
