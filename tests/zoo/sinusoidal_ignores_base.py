"""Bug: ignores ``base`` and always uses ω_i = 10000^(−2i/dim).

Caught by the sinusoidal table-value property with a non-default base."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "other base"


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    angles = textbook.angles(positions, textbook.inv_freq(dim, 10000.0, np.float64))
    return textbook.table(np.sin(angles), np.cos(angles), layout)
