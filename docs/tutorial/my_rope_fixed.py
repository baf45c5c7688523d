"""My RoPE target for the conformance gate: NumPy, half-split layout (the subject of docs/tutorial.md)."""

import numpy as np

from spec import validation


def rotate_half(x):
    """[x₁ | x₂] ↦ [−x₂ | x₁]: the half-split layout pairs coordinate i with i + d/2."""
    x1, x2 = np.split(x, 2, axis=-1)
    return np.concatenate([-x2, x1], axis=-1)


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    # Rejects bad arguments, and raises NotImplementedError for any scaler (reported "not provided").
    _, d, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    if layout != "half":
        raise NotImplementedError(f"layout={layout!r}")
    angle_dtype = np.float64 if x.dtype == np.float64 else np.float32
    inv_freq = 1.0 / np.asarray(base, angle_dtype) ** (np.arange(0, d, 2, dtype=angle_dtype) / d)
    angles = positions.astype(angle_dtype)[:, None] * inv_freq  # [seq, d/2]
    angles = np.concatenate([angles, angles], axis=-1)  # coordinates i and i + d/2 share angle i: [seq, d]
    cos, sin = np.cos(angles).astype(x.dtype), np.sin(angles).astype(x.dtype)
    rotated = x[..., :d] * cos + rotate_half(x[..., :d]) * sin
    return np.concatenate([rotated, x[..., d:]], axis=-1)
