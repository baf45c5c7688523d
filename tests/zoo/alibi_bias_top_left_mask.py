"""Bug: query i is treated as absolute position i (mask and distances aligned top-left), not k_len − q_len + i.

Caught by the ALiBi bias-value/mask property with q_len < k_len (a KV cache)."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "top-left alignment"


def alibi_bias(num_heads, q_len, k_len, *, causal=True):
    validation.alibi_bias_args(num_heads, q_len, k_len, causal)
    distance = (np.arange(q_len)[:, None] - np.arange(k_len)[None, :]).astype(np.float64)
    return textbook.bias_from_distance(textbook.slopes(num_heads), distance, causal)
