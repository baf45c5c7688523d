"""Bug: no argument validation: an odd rotary_dim/head_dim is truncated to even, a base <= 1 is accepted.

Caught by the RoPE argument-validation properties (those inputs must raise ValueError)."""

from tests.zoo import _textbook as textbook

PLANTED = None  # no numeric hypothesis of tests/diagnosis/rope.py describes this bug


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    if scaling is not None:
        raise NotImplementedError("plain RoPE only")  # its bug is the missing checks, not a scaler or M-RoPE
    rd = (x.shape[-1] if rotary_dim is None else rotary_dim) // 2 * 2
    return textbook.rotate(x, *textbook.rope_cos_sin(x, positions, base, rd), layout, rd)
