"""Bug: default positions aligned top-left — query i at position i, not S − L + i — as SDPA's ``is_causal`` and
flash-attn 2.0 (attention.md §2 #1, #4): right for L = S, wrong for a KV-cache decode or a chunked prefill.

Caught by the oracle, chunked-prefill, probe and alignment properties (L < S)."""

import numpy as np

from tests.zoo._attention import Textbook

PLANTED = None


class TopLeft(Textbook):
    def positions(self, q_len, k_len):
        return np.arange(q_len), np.arange(k_len)  # BUG: the queries start at key 0


attention = TopLeft().attention
