"""Misbehaves: rope_apply never returns (a pure-Python busy loop).

Expected: rope_apply "fail" (timed out after CONFORMANCE_OP_TIMEOUT s) once, then not called again;
the other ops (NumPy reference) pass."""

from impl.numpy_ref import (  # noqa: F401
    alibi_bias,
    alibi_slopes,
    learned_absolute,
    rope_frequencies,
    sinusoidal,
    t5_bucket,
)


def rope_apply(x, positions, **kwargs):
    while True:
        pass
