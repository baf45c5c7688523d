"""Misbehaves: rope_apply returns a correct new array but also writes the result into its input x.

Expected: rope_apply "fail" (modified its input `x` in place) in every rope_apply property, not only the
no-mutation one; the other ops (NumPy reference) pass."""

from impl.numpy_ref import rope_apply as _rope_apply
from tests.misbehaving._reference import *  # every op correct but the one below


def rope_apply(x, positions, **kwargs):
    result = _rope_apply(x, positions, **kwargs)
    x[...] = result
    return result.copy()
