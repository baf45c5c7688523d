"""Misbehaves: sinusoidal returns NaN everywhere (right shape and dtype).

Expected: sinusoidal "fail" (NaN is never within tolerance); the other ops (NumPy reference) pass."""

import numpy as np

from impl.numpy_ref import sinusoidal as _sinusoidal
from tests.misbehaving._reference import *  # every op correct but the one below


def sinusoidal(positions, dim, **kwargs):
    return np.full_like(_sinusoidal(positions, dim, **kwargs), np.nan)
