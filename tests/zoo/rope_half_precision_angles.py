"""Bug: angles m·θ are computed in float16 (positions and inv_freq cast to float16), then widened.

Caught by the RoPE value property at positions beyond 2048 (float16 cannot even represent them)."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "float16 angles"


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    inv_freq = textbook.inv_freq(rd, base, textbook.angle_dtype(x))
    angles = textbook.angles(positions, inv_freq.astype(np.float16)).astype(inv_freq.dtype)
    return textbook.rotate(x, *textbook.cos_sin(angles, x.dtype), layout, rd)
