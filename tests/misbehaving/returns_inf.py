"""Misbehaves: rope_apply returns +inf everywhere (right shape and dtype), as an overflowed computation would.

Expected: rope_apply "fail" (an infinity where a finite value is due is never within tolerance); the other
ops (NumPy reference) pass."""

import numpy as np

from impl.numpy_ref import rope_apply as _rope_apply
from tests.misbehaving._reference import *  # every op correct but the one below


def rope_apply(x, positions, **kwargs):
    return np.full_like(_rope_apply(x, positions, **kwargs), np.inf)
