"""Misbehaves: t5_bucket returns a Python list of ints instead of an array.

Expected: t5_bucket "fail" naming the type; the other ops (NumPy reference) pass."""

from impl.numpy_ref import (  # noqa: F401
    alibi_bias,
    alibi_slopes,
    learned_absolute,
    rope_apply,
    rope_frequencies,
    sinusoidal,
)
from impl.numpy_ref import t5_bucket as _t5_bucket


def t5_bucket(relative_position, **kwargs):
    return _t5_bucket(relative_position, **kwargs).tolist()
