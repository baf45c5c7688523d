"""Bug: no argument validation: an odd rotary_dim/head_dim is truncated to even, a base <= 1 is accepted.

Caught by the RoPE argument-validation properties (those inputs must raise ValueError)."""

import numpy as np


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    rd = (x.shape[-1] if rotary_dim is None else rotary_dim) // 2 * 2
    dt = np.float64 if x.dtype == np.float64 else np.float32
    inv_freq = 1.0 / np.asarray(base, dtype=dt) ** (np.arange(0, rd, 2, dtype=dt) / rd)
    angles = positions.astype(dt)[:, None] * inv_freq[None, :]
    cos, sin = np.cos(angles).astype(x.dtype), np.sin(angles).astype(x.dtype)
    if layout == "half":
        first, second = slice(0, rd // 2), slice(rd // 2, rd)
    else:
        first, second = slice(0, rd, 2), slice(1, rd, 2)
    x1, x2 = x[..., first], x[..., second]
    out = x.copy()
    out[..., first] = x1 * cos - x2 * sin
    out[..., second] = x2 * cos + x1 * sin
    return out
