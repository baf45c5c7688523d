"""Misbehaves: sinusoidal returns NaN everywhere (right shape and dtype).

Expected: sinusoidal "fail" (NaN is never within tolerance); the other ops (NumPy reference) pass."""

import numpy as np

from impl.numpy_ref import (  # noqa: F401
    alibi_bias,
    alibi_slopes,
    learned_absolute,
    rope_apply,
    rope_frequencies,
    t5_bucket,
)
from impl.numpy_ref import sinusoidal as _sinusoidal


def sinusoidal(positions, dim, **kwargs):
    return np.full_like(_sinusoidal(positions, dim, **kwargs), np.nan)
