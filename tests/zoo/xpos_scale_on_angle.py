"""Bug: xPos puts ζ^(±m/B) on the rotation angle instead of the magnitude (variants.md §9, bug 34): each pair is
rotated by m·θ_i·ζ_i^(±m/B) and keeps its length.

Caught by the xPos value and relative properties."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = None


def xpos_apply(x, positions, *, role, base=10000.0, layout="half", scale_base=512.0):
    head_dim, role, base, layout, scale_base = validation.xpos_apply_args(x, positions, role, base, layout, scale_base)
    scale = textbook.xpos_scale(textbook.xpos_zeta(head_dim), positions, scale_base, role)
    angles = textbook.angles(positions, textbook.inv_freq(head_dim, base, np.float64)) * scale  # BUG: on the angle
    return textbook.rotate(x, np.cos(angles).astype(x.dtype), np.sin(angles).astype(x.dtype), layout, head_dim)
