"""Bug: rotates by −mθ (applies R(m)ᵀ instead of R(m)).

Caught by the RoPE value property against the oracle (and the relative-position score property's sign)."""

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "opposite direction"


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    cos, sin = textbook.rope_cos_sin(x, positions, base, rd)
    return textbook.rotate(x, cos, -sin, layout, rd)
