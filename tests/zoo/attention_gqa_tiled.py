"""Bug: grouped-query heads tiled — query head h reads KV head h mod kv_heads (torch ``repeat``) instead of
h // (heads/kv_heads) (``repeat_interleave``, attention.md §3.4 P10).

Caught by the grouped-query property and the oracle (kv_heads ≥ 2)."""

import numpy as np

from tests.zoo._attention import Textbook

PLANTED = None


class Tiled(Textbook):
    def kv_head(self, heads, groups, kv_heads):
        return np.arange(heads) % kv_heads  # BUG: repeat instead of repeat_interleave


attention = Tiled().attention
