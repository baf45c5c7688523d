"""Bug: the softmax without its row maximum subtracted, exp(s)/Σexp(s) — right in exact arithmetic, but exp overflows
once a score passes ln(max) (709 in float64, 88 in float32): a large bias or row constant gives inf/inf = NaN
(Blanchard, Higham & Higham 2021: the shift is what makes softmax safe).

Caught by the row-constant property (constants up to ±2¹⁰)."""

import numpy as np

from tests.zoo._attention import Textbook

PLANTED = None


class Unshifted(Textbook):
    def softmax(self, s):
        e = np.exp(s)  # BUG: no max subtracted
        total = e.sum(-1, keepdims=True)
        return e / np.where(total > 0, total, 1)


attention = Unshifted().attention
