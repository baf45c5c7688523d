"""Bug: an ε added to the softmax normaliser, 1/(Σ + 10⁻³) — vLLM's paged attention adds 10⁻⁶ on purpose (attention.md
§1.5); at 10⁻³ every output is shrunk by up to 0.1 % (Σ ≥ 1 after the max shift).

Caught by the identical-values property (out = w exactly) and the oracle."""

import numpy as np

from tests.zoo._attention import Textbook

PLANTED = None


class Epsilon(Textbook):
    def softmax(self, s):
        peak = s.max(-1, keepdims=True, initial=-np.inf)
        e = np.exp(s - np.where(np.isneginf(peak), 0, peak))
        return e / (e.sum(-1, keepdims=True) + 1e-3)  # BUG: a large ε


attention = Epsilon().attention
