"""Bug: given positions ``[seq]`` with an mrope_section, multi-axis RoPE fills the missing h and w rows with 0
instead of repeating the position (Hugging Face broadcasts a (B, S) input to three equal rows, variants.md §1):
text tokens are rotated as if they sat at (p, 0, 0).

Caught by the M-RoPE text-degeneration property only (three explicit rows are handled right)."""

import numpy as np

from spec import validation
from spec.rope_parameters import mrope_axes
from tests.zoo import _textbook as textbook

PLANTED = None


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len,
                                                            multi_axis=True)
    if config is not None and config["rope_type"] != "default":
        raise NotImplementedError("plain RoPE only")
    if config is None or config["mrope_section"] is None:
        return textbook.rotate_by_pair_positions(x, positions[:, None].repeat(rd // 2, 1), base, layout, rd)
    if positions.ndim == 1:
        zeros = np.zeros_like(positions)
        positions = np.stack([positions, zeros, zeros])  # BUG: h = w = 0, not the position
    axes = mrope_axes(config["mrope_section"], config["mrope_interleaved"], rd // 2)
    return textbook.rotate_by_pair_positions(x, textbook.mrope_pair_positions(positions, axes), base, layout, rd)
