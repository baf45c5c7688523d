"""Bug: the geometric series starts at h = 0, so the first slope is 1.0 instead of 2^(−8/n).

Caught by the ALiBi slope-value property (first slope for n = 8 must be 1/2)."""

import numpy as np

from spec import validation


def _series(n):
    return 2.0 ** (-8.0 * np.arange(n) / n)


def alibi_slopes(num_heads):
    n = validation.integer("num_heads", num_heads, minimum=1)
    p = 1 << (n.bit_length() - 1)
    return np.concatenate([_series(p), _series(2 * p)[0::2][: n - p]])
