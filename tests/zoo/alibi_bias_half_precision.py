"""Bug: the causal bias is Bloom's key-only form m·j computed in float16 and returned as float32.

Caught by the ALiBi bias property after row normalisation at long k_len (no longer Toeplitz: j > 2048 rounds)."""

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
        return -slopes * np.abs(distance)
    keys = slopes.astype(np.float16) * np.arange(k_len, dtype=np.float16)
    return np.where(distance >= 0, keys, -np.inf).astype(np.float32)
