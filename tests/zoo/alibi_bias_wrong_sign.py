"""Bug: +m·(i−j) instead of −m·(i−j) for visible keys (and +m·|i−j| for causal=False): far keys are favoured.

Caught by the ALiBi bias-value property (row-normalised) and the monotone-decay property."""

import numpy as np

from spec import validation


def _series(n):
    return 2.0 ** (-8.0 * np.arange(1, n + 1) / n)


def _slopes(n):
    p = 1 << (n.bit_length() - 1)
    return np.concatenate([_series(p), _series(2 * p)[0::2][: n - p]])


def alibi_bias(num_heads, q_len, k_len, *, causal=True):
    validation.alibi_bias_args(num_heads, q_len, k_len, causal)
    queries = np.arange(k_len - q_len, k_len)
    distance = (queries[:, None] - np.arange(k_len)[None, :]).astype(np.float64)
    slopes = _slopes(num_heads)[:, None, None]
    if not causal:
        return slopes * np.abs(distance)
    return np.where(distance >= 0, slopes * distance, -np.inf)
