"""Bug: θ_i = base^(−2i/head_dim) instead of base^(−2i/rotary_dim) (differs only for partial rotary).

Caught by the RoPE value property with rotary_dim < head_dim."""

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "head_dim exponent"


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    inv_freq = textbook.inv_freq(head_dim, base, textbook.angle_dtype(x))[: rd // 2]
    return textbook.rotate(x, *textbook.cos_sin(textbook.angles(positions, inv_freq), x.dtype), layout, rd)
