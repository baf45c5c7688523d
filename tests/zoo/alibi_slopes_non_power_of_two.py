"""Bug: uses 2^(−8h/n), h = 1…n, for every n, not only powers of two (no interleave rule).

Caught by the ALiBi slope-value property for a non-power-of-two head count (e.g. n = 12)."""

import numpy as np

from spec import validation


def alibi_slopes(num_heads):
    n = validation.integer("num_heads", num_heads, minimum=1)
    return 2.0 ** (-8.0 * np.arange(1, n + 1) / n)
