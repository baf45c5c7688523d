"""Misbehaves: rope_apply never returns (a pure-Python busy loop).

Expected: rope_apply "fail" (timed out after CONFORMANCE_OP_TIMEOUT s) once, then not called again;
the other ops (NumPy reference) pass."""

from tests.misbehaving._reference import *  # every op correct but the one below


def rope_apply(x, positions, **kwargs):
    while True:
        pass
