"""Misbehaves: rope_apply does not provide head_dim not divisible by 4 (NotImplementedError) and returns NaN
for the rest — a misbehaviour after discarded cases must still be a "fail", never "not provided".

Expected: rope_apply "fail" with the NaN named; the other ops (NumPy reference) pass."""

import numpy as np

from tests.misbehaving._reference import *  # every op correct but the one below


def rope_apply(x, positions, **kwargs):
    if x.shape[-1] % 4:
        raise NotImplementedError("head_dim must be a multiple of 4")
    return np.full_like(x, np.nan)
