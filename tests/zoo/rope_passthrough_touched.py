"""Bug: dims past rotary_dim are multiplied by cos of the first pair's angle instead of passing through.

Caught by the partial-rotary pass-through property (x[..., rotary_dim:] must come back unchanged)."""

import numpy as np

from spec import validation


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
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
    out[..., rd:] = x[..., rd:] * cos[:, :1]
    return out
