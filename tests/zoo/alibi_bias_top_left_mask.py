"""Bug: query i is treated as absolute position i (mask and distances aligned top-left), not k_len − q_len + i.

Caught by the ALiBi bias-value/mask property with q_len < k_len (a KV cache)."""

import numpy as np

from spec import validation


def _series(n):
    return 2.0 ** (-8.0 * np.arange(1, n + 1) / n)


def _slopes(n):
    p = 1 << (n.bit_length() - 1)
    return np.concatenate([_series(p), _series(2 * p)[0::2][: n - p]])


def alibi_bias(num_heads, q_len, k_len, *, causal=True):
    validation.alibi_bias_args(num_heads, q_len, k_len, causal)
    queries = np.arange(q_len)
    distance = (queries[:, None] - np.arange(k_len)[None, :]).astype(np.float64)
    slopes = _slopes(num_heads)[:, None, None]
    if not causal:
        return -slopes * np.abs(distance)
    return np.where(distance >= 0, -slopes * distance, -np.inf)
