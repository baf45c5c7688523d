"""Bug: the cos/sin cache is rounded through float16 before use, even for float32/float64 x.

Caught by the RoPE value property for float32/float64 (errors ~5e-4, far beyond their error model)."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "float16 cos/sin"


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    angles = textbook.angles(positions, textbook.inv_freq(rd, base, textbook.angle_dtype(x)))
    cos, sin = (cache.astype(x.dtype) for cache in textbook.cos_sin(angles, np.float16))
    return textbook.rotate(x, cos, sin, layout, rd)
