"""Bug: dims past rotary_dim are multiplied by cos of the first pair's angle instead of passing through.

Caught by the partial-rotary pass-through property (x[..., rotary_dim:] must come back unchanged)."""

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "pass-through touched"


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    cos, sin = textbook.rope_cos_sin(x, positions, base, rd)
    out = textbook.rotate(x, cos, sin, layout, rd)
    out[..., rd:] = x[..., rd:] * cos[:, :1]
    return out
