"""Bug: cos where sin belongs and sin where cos belongs, in both layouts.

Caught by the sinusoidal table-value property (e.g. PE[0, 2i] must be sin 0 = 0)."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = "swapped sin/cos"


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    angles = textbook.angles(positions, textbook.inv_freq(dim, base, np.float64))
    return textbook.table(np.cos(angles), np.sin(angles), layout)
