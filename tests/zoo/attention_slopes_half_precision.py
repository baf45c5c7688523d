"""Bug: the slopes held in float16 (a module buffer cast with the model, flash-attention#845; Falcon's bfloat16
slopes, attention.md §2 #9–10): 2^(−8h/P) keeps 11 bits, so every non-dyadic slope is off by up to 2⁻¹² relative,
and the bias by that much times the distance.

Caught by the probe and the oracle (heads that are not a power of two, or more than 8)."""

import numpy as np

from tests.zoo._attention import Textbook

PLANTED = None


class HalfSlopes(Textbook):
    def slopes(self, heads, given, work):
        return super().slopes(heads, given, work).astype(np.float16).astype(work)  # BUG: float16 slopes


attention = HalfSlopes().attention
