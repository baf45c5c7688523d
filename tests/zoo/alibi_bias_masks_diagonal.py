"""Bug: the causal mask hides the query's own key too (j ≥ i₀ masked instead of j > i₀).

Caught by the ALiBi mask-alignment and self-attention (q_len = k_len) properties."""

import numpy as np

from impl import numpy_ref
from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "diagonal masked"


def alibi_bias(num_heads, q_len, k_len, *, causal=True):
    validation.alibi_bias_args(num_heads, q_len, k_len, causal)
    distance = textbook.distance(q_len, k_len)
    return textbook.bias_from_distance(numpy_ref.alibi_slopes(num_heads), distance, causal, visible=np.greater)
