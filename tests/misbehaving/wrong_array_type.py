"""Misbehaves: a torch target whose rope_apply returns a NumPy array instead of a tensor.

Expected: rope_apply "fail" naming the type; the other ops (torch reference) pass."""

from impl.torch_ref import (  # noqa: F401
    ARRAY_API,
    alibi_bias,
    alibi_slopes,
    learned_absolute,
    rope_frequencies,
    sinusoidal,
    t5_bucket,
)
from impl.torch_ref import rope_apply as _rope_apply


def rope_apply(x, positions, **kwargs):
    return _rope_apply(x, positions, **kwargs).numpy()
