"""Bug: correct values, but the result is written into x in place and x itself is returned.

Caught by the no-mutation property (the input must be unchanged after the call)."""

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = None  # no numeric hypothesis of tests/diagnosis/rope.py describes this bug


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    x[...] = textbook.rotate(x, *textbook.rope_cos_sin(x, positions, base, rd), layout, rd)
    return x
