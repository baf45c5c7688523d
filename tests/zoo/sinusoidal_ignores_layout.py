"""Bug: ignores ``layout`` and always returns the interleaved table.

Caught by the sinusoidal table-value property for layout="concat"."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "other layout"


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    angles = textbook.angles(positions, textbook.inv_freq(dim, base, np.float64))
    return textbook.table(np.sin(angles), np.cos(angles), "interleaved")
