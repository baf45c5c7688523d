"""Bug: the causal bias is Bloom's key-only form m·j computed in float16 and returned as float32.

Caught by the ALiBi bias property after row normalisation at long k_len (no longer Toeplitz: j > 2048 rounds)."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "float16 bias"


def alibi_bias(num_heads, q_len, k_len, *, causal=True):
    validation.alibi_bias_args(num_heads, q_len, k_len, causal)
    slopes, distance = textbook.slopes(num_heads), textbook.distance(q_len, k_len)
    if not causal:
        return textbook.bias_from_distance(slopes, distance, causal)
    keys = slopes[:, None, None].astype(np.float16) * np.arange(k_len, dtype=np.float16)
    return np.where(distance >= 0, keys, -np.inf).astype(np.float32)
