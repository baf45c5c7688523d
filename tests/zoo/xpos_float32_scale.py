"""Bug: xPos forms its scale ζ^(±m/B) in float32 whatever the result's dtype (x-transformers keeps the scale in
float32): for float64 x it overflows at |m| ≈ 70.8·B, far inside float64's range (variants.md §9, bug 37's kind).

Caught by the xPos range property (and the value property where a drawn position passes that point)."""

import numpy as np

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = None


def xpos_apply(x, positions, *, role, base=10000.0, layout="half", scale_base=512.0):
    head_dim, role, base, layout, scale_base = validation.xpos_apply_args(x, positions, role, base, layout, scale_base)
    zeta = textbook.xpos_zeta(head_dim).astype(np.float32)
    power = (positions.astype(np.float32) / np.float32(scale_base))[:, None]
    with np.errstate(over="ignore"):
        scale = zeta[None, :] ** (power if role == "query" else -power)  # BUG: float32, inf past 3.4e38
    return textbook.xpos_rotate(x, positions, base, layout, scale.astype(np.float64))
