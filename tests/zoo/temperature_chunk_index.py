"""Bug: the attention temperature is computed from the query's index in the chunk (arange(q_len)) instead of its
position: right for a prefill from position 0, wrong for every chunk after it and for decoding.

Caught by the attention-scale value property."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = None


def attention_scale(positions, head_dim, *, scaling=None, softmax_mscale=False, temperature=None):
    head_dim, config, softmax_mscale, temperature = validation.attention_scale_args(positions, head_dim, scaling,
                                                                                    softmax_mscale, temperature)
    index = np.arange(len(positions))  # BUG: the index, not the position
    return textbook.attention_scale(index, textbook.softmax_scale(head_dim, config, softmax_mscale), config, temperature)
