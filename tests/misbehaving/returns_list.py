"""Misbehaves: t5_bucket returns a Python list of ints instead of an array.

Expected: t5_bucket "fail" naming the type; the other ops (NumPy reference) pass."""

from impl.numpy_ref import t5_bucket as _t5_bucket
from tests.misbehaving._reference import *  # every op correct but the one below


def t5_bucket(relative_position, **kwargs):
    return _t5_bucket(relative_position, **kwargs).tolist()
