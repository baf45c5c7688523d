"""Bug: rotate_half without its minus sign, out = x·cos + [x2, x1]·sin, which is not a rotation.

Caught by the RoPE norm-preservation property and the value property."""

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "no negation"


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    cos, sin = textbook.rope_cos_sin(x, positions, base, rd)
    first, second = textbook.pair_slices(layout, rd)
    x1, x2 = x[..., first], x[..., second]
    out = x.copy()
    out[..., first] = x1 * cos + x2 * sin
    out[..., second] = x2 * cos + x1 * sin
    return out
