"""Bug: xPos builds ζ from arange(d/2)/d, i.e. (i/d + γ)/(1 + γ) instead of (2i/d + γ)/(1 + γ) (variants.md §9,
bug 38): every pair but the first decays too fast.

Caught by the xPos value and relative properties (scores stay relative, with the wrong decay)."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = None


def xpos_apply(x, positions, *, role, base=10000.0, layout="half", scale_base=512.0):
    head_dim, role, base, layout, scale_base = validation.xpos_apply_args(x, positions, role, base, layout, scale_base)
    zeta = (np.arange(head_dim // 2) / head_dim + 0.4) / 1.4  # BUG: i/d, not 2i/d
    return textbook.xpos_rotate(x, positions, base, layout, textbook.xpos_scale(zeta, positions, scale_base, role))
