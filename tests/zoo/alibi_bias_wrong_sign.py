"""Bug: +m·(i−j) instead of −m·(i−j) for visible keys (and +m·|i−j| for causal=False): far keys are favoured.

Caught by the ALiBi bias-value property (row-normalised) and the monotone-decay property."""

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "opposite sign"


def alibi_bias(num_heads, q_len, k_len, *, causal=True):
    validation.alibi_bias_args(num_heads, q_len, k_len, causal)
    return textbook.bias_from_distance(-textbook.slopes(num_heads), textbook.distance(q_len, k_len), causal)
