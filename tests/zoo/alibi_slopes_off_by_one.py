"""Bug: the geometric series starts at h = 0, so the first slope is 1.0 instead of 2^(−8/n).

Caught by the ALiBi slope-value property (first slope for n = 8 must be 1/2)."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "slope exponent offset"


def alibi_slopes(num_heads):
    n = validation.integer("num_heads", num_heads, minimum=1)
    return textbook.slopes(n, series=lambda m: 2.0 ** (-8.0 * np.arange(m) / m))
