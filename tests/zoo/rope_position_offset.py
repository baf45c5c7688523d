"""Bug: rotates by position m + 1 instead of m.

Caught by the RoPE value property (R(0) must be the identity); the relative score property cannot see it."""

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "position offset"


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    angles = textbook.angles(positions + 1, textbook.inv_freq(rd, base, textbook.angle_dtype(x)))
    return textbook.rotate(x, *textbook.cos_sin(angles, x.dtype), layout, rd)
