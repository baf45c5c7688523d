"""Bug: uses 2^(−8h/n), h = 1…n, for every n, not only powers of two (no interleave rule).

Caught by the ALiBi slope-value property for a non-power-of-two head count (e.g. n = 12)."""

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "no interleave rule"


def alibi_slopes(num_heads):
    n = validation.integer("num_heads", num_heads, minimum=1)
    return textbook.series(n)
