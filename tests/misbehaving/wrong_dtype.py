"""Misbehaves: rope_apply always returns float32 (a float64 input comes back narrowed).

Expected: rope_apply "fail" naming the dtype in float64; the other ops (NumPy reference) pass."""

import numpy as np

from impl.numpy_ref import (  # noqa: F401
    alibi_bias,
    alibi_slopes,
    learned_absolute,
    rope_frequencies,
    sinusoidal,
    t5_bucket,
)
from impl.numpy_ref import rope_apply as _rope_apply


def rope_apply(x, positions, **kwargs):
    return _rope_apply(x, positions, **kwargs).astype(np.float32)
