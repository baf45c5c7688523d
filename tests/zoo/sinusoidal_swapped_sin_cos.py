"""Bug: cos where sin belongs and sin where cos belongs, in both layouts.

Caught by the sinusoidal table-value property (e.g. PE[0, 2i] must be sin 0 = 0)."""

import numpy as np

from spec import validation


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    inv_freq = 1.0 / base ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
    angles = positions.astype(np.float64)[:, None] * inv_freq[None, :]
    first, second = np.cos(angles), np.sin(angles)
    if layout == "concat":
        return np.concatenate([first, second], axis=-1)
    return np.stack([first, second], axis=-1).reshape(len(positions), dim)
