"""Bug: layout="half" rotates interleaved pairs (2i, 2i+1) and layout="interleaved" rotates (i, i + rd/2).

Caught by the RoPE value property for either layout."""

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "other layout"


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    swapped = {"half": "interleaved", "interleaved": "half"}[layout]
    return textbook.rotate(x, *textbook.rope_cos_sin(x, positions, base, rd), swapped, rd)
