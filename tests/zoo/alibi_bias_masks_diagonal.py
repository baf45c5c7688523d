"""Bug: the causal mask hides the query's own key too (j ≥ i₀ masked instead of j > i₀).

Caught by the ALiBi mask-alignment and self-attention (q_len = k_len) properties."""

import numpy as np

from impl.numpy_ref import alibi_slopes
from spec import validation


def alibi_bias(num_heads, q_len, k_len, *, causal=True):
    validation.alibi_bias_args(num_heads, q_len, k_len, causal)
    distance = (np.arange(k_len - q_len, k_len)[:, None] - np.arange(k_len)[None, :]).astype(np.float64)
    slopes = alibi_slopes(num_heads)[:, None, None]
    if not causal:
        return -slopes * np.abs(distance)
    return np.where(distance > 0, -slopes * distance, -np.inf)
