"""Bug: the attention temperature takes positions as the cache length plus arange(q_len) — Hugging Face's Llama 4
(variants.md §5) — instead of the positions given: right for a contiguous chunk, wrong for packed sequences and
left padding.

Caught by the packed-positions attention-scale property only."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = None


def attention_scale(positions, head_dim, *, scaling=None, softmax_mscale=False, temperature=None):
    head_dim, config, softmax_mscale, temperature = validation.attention_scale_args(positions, head_dim, scaling,
                                                                                    softmax_mscale, temperature)
    cached = int(positions[0]) if len(positions) else 0
    contiguous = cached + np.arange(len(positions))  # BUG: the cache length, not position_ids
    return textbook.attention_scale(contiguous, textbook.softmax_scale(head_dim, config, softmax_mscale), config, temperature)
