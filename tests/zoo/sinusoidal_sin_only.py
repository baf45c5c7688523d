"""Bug: writes sin into both slots of each pair (no cos at all).

Caught by the sinusoidal table-value property (PE[0, 2i+1] must be cos 0 = 1) and the unit-norm pair property."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "sin only"


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    angles = textbook.angles(positions, textbook.inv_freq(dim, base, np.float64))
    return textbook.table(np.sin(angles), np.sin(angles), layout)
