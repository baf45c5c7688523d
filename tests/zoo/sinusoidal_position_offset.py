"""Bug: evaluates position p + 1 instead of p (fairseq-style padding offset).

Caught by the sinusoidal table-value property (row 0 must be [0, 1, 0, 1, …])."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "position offset"


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    angles = textbook.angles(positions + 1, textbook.inv_freq(dim, base, np.float64))
    return textbook.table(np.sin(angles), np.cos(angles), layout)
