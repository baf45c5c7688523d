"""Bug: ignores ``base`` and always uses ω_i = 10000^(−2i/dim).

Caught by the sinusoidal table-value property with a non-default base."""

import numpy as np

from spec import validation


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    inv_freq = 1.0 / 10000.0 ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
    angles = positions.astype(np.float64)[:, None] * inv_freq[None, :]
    first, second = np.sin(angles), np.cos(angles)
    if layout == "concat":
        return np.concatenate([first, second], axis=-1)
    return np.stack([first, second], axis=-1).reshape(len(positions), dim)
