"""Bug: evaluates position p + 1 instead of p (fairseq-style padding offset).

Caught by the sinusoidal table-value property (row 0 must be [0, 1, 0, 1, …])."""

import numpy as np

from spec import validation


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    inv_freq = 1.0 / base ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
    angles = (positions + 1).astype(np.float64)[:, None] * inv_freq[None, :]
    first, second = np.sin(angles), np.cos(angles)
    if layout == "concat":
        return np.concatenate([first, second], axis=-1)
    return np.stack([first, second], axis=-1).reshape(len(positions), dim)
