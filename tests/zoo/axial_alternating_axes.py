"""Bug: axial RoPE alternates the axes pair by pair (even pairs h, odd pairs w, Kimi-K2.5's per-frequency interleave,
or Ernie's text map) where the towers give h the first block and w the second (variants.md §6).

Caught by the axial oracle and the relative and swap properties."""

import numpy as np

from tests.zoo import _textbook as textbook

PLANTED = None


def _alternating(positions, head_dim):
    return positions[np.arange(head_dim // 2) % 2].T  # BUG: pair j follows row j % 2


axial_rope_apply = textbook.axial_apply(_alternating)
