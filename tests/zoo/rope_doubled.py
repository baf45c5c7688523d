"""Bug: the rotated part is multiplied by 2 (an attention factor applied where rope_frequencies reports 1).

Caught by the RoPE norm property (‖R(m)x‖ = af·‖x‖ with af = 1) and the value property."""

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "scaled output"


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    out = textbook.rotate(x, *textbook.rope_cos_sin(x, positions, base, rd), layout, rd)
    out[..., :rd] *= 2
    return out
