"""Bug: causal=False returns the causal (masked) bias instead of the symmetric −m·|i−j|.

Caught by the ALiBi bias-value property for causal=False (no −inf allowed)."""

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "causal ignored"


def alibi_bias(num_heads, q_len, k_len, *, causal=True):
    validation.alibi_bias_args(num_heads, q_len, k_len, causal)
    return textbook.bias_from_distance(textbook.slopes(num_heads), textbook.distance(q_len, k_len), causal=True)
