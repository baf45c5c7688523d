"""Bug: given positions ``[seq]`` with an mrope_section, multi-axis RoPE fills the missing h and w rows with 0
instead of repeating the position (Hugging Face broadcasts a (B, S) input to three equal rows, variants.md §1):
text tokens are rotated as if they sat at (p, 0, 0).

Caught by the M-RoPE text-degeneration property only (three explicit rows are handled right)."""

import numpy as np

from spec.rope_parameters import mrope_axes
from tests.zoo import _textbook as textbook

PLANTED = None


def _rows(positions):
    if positions.ndim == 2:
        return positions
    zeros = np.zeros_like(positions)
    return np.stack([positions, zeros, zeros])  # BUG: h = w = 0, not the position


rope_apply = textbook.mrope_apply(lambda config, pairs: mrope_axes(config["mrope_section"], config["mrope_interleaved"], pairs),
                                  rows_of=_rows)
