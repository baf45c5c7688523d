"""Bug: ignores ``layout`` and always returns the interleaved table.

Caught by the sinusoidal table-value property for layout="concat"."""

import numpy as np

from spec import validation


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    inv_freq = 1.0 / base ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
    angles = positions.astype(np.float64)[:, None] * inv_freq[None, :]
    return np.stack([np.sin(angles), np.cos(angles)], axis=-1).reshape(len(positions), dim)
