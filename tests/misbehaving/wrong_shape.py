"""Misbehaves: rope_apply returns [..., head_dim, seq] (the last two axes swapped).

Expected: rope_apply "fail" naming the shape; the other ops (NumPy reference) pass."""

from impl.numpy_ref import rope_apply as _rope_apply
from tests.misbehaving._reference import *  # every op correct but the one below


def rope_apply(x, positions, **kwargs):
    return _rope_apply(x, positions, **kwargs).swapaxes(-1, -2)
