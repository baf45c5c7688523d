"""Misbehaves: rope_apply raises RuntimeError (a crash inside the target, not a bad-input rejection).

Expected: rope_apply "error" with the exception in the message; the other ops (NumPy reference) pass."""

from impl.numpy_ref import (  # noqa: F401
    alibi_bias,
    alibi_slopes,
    learned_absolute,
    rope_frequencies,
    sinusoidal,
    t5_bucket,
)


def rope_apply(x, positions, **kwargs):
    raise RuntimeError("fused rotary kernel failed")
