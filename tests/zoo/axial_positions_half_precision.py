"""Bug: axial RoPE casts the patch coordinates to float16 before the angles (a half-precision model building its
rotary table in the activations' dtype): coordinates beyond 2048 round to even numbers, so the angle is no longer a
function of the offset alone.

Caught by the axial oracle and the relative property (at coordinates > 2048; the swap property too, when a draw puts
the rows on different sides of a float16 spacing)."""

import numpy as np

from tests.zoo import _textbook as textbook

PLANTED = None

axial_rope_apply = textbook.axial_apply(
    lambda positions, head_dim: textbook.axial_pair_positions(positions.astype(np.float16).astype(np.float64), head_dim))  # BUG
