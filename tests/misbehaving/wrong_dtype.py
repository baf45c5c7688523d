"""Misbehaves: rope_apply always returns float32 (a float64 input comes back narrowed).

Expected: rope_apply "fail" naming the dtype in float64; the other ops (NumPy reference) pass."""

import numpy as np

from impl.numpy_ref import rope_apply as _rope_apply
from tests.misbehaving._reference import *  # every op correct but the one below


def rope_apply(x, positions, **kwargs):
    return _rope_apply(x, positions, **kwargs).astype(np.float32)
