"""Bug: a row with no visible key returns NaN — the textbook softmax with its maximum subtracted, where the maximum
of a fully masked row is −inf and −inf − (−inf) is NaN (pytorch#109517, flex before PR #131552; attention.md §2 #18).

Caught by the alignment property (more queries than keys) and the oracle."""

import numpy as np

from tests.zoo._attention import Textbook

PLANTED = None


class NaNRows(Textbook):
    def softmax(self, s):
        e = np.exp(s - s.max(-1, keepdims=True))  # BUG: no guard for a row of −inf
        return e / e.sum(-1, keepdims=True)


attention = NaNRows().attention
