"""Misbehaves: rope_apply raises RuntimeError (a crash inside the target, not a bad-input rejection).

Expected: rope_apply "error" with the exception in the message; the other ops (NumPy reference) pass."""

from tests.misbehaving._reference import *  # every op correct but the one below


def rope_apply(x, positions, **kwargs):
    raise RuntimeError("fused rotary kernel failed")
