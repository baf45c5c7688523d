"""Bug: writes sin into both slots of each pair (no cos at all).

Caught by the sinusoidal table-value property (PE[0, 2i+1] must be cos 0 = 1) and the unit-norm pair property."""

import numpy as np

from spec import validation


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    inv_freq = 1.0 / base ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
    angles = positions.astype(np.float64)[:, None] * inv_freq[None, :]
    first, second = np.sin(angles), np.sin(angles)
    if layout == "concat":
        return np.concatenate([first, second], axis=-1)
    return np.stack([first, second], axis=-1).reshape(len(positions), dim)
