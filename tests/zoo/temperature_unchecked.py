"""Bug: the attention temperature's keys are used unchecked: floor_scale = 0 divides by zero, a negative attn_scale
or an unknown key passes silently.

Caught by the attention-scale validation property."""

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = None


def attention_scale(positions, head_dim, *, scaling=None, softmax_mscale=False, temperature=None):
    head_dim, config, softmax_mscale, _ = validation.attention_scale_args(positions, head_dim, scaling, softmax_mscale, None)
    raw = None if temperature is None else (temperature.get("attn_scale", 0.1), temperature.get("floor_scale", 8192))  # BUG
    return textbook.attention_scale(positions, textbook.softmax_scale(head_dim, config, softmax_mscale), config, raw)
