"""Where the two coordinates of pair i live in a vector, for each layout.

* ``"half"`` / ``"concat"``: pair i = (i, i + d/2) — rotate_half RoPE (HF Llama, GPT-NeoX) and the
  ``[sin | cos]`` sinusoidal table.
* ``"interleaved"``: pair i = (2i, 2i + 1) — the RoFormer paper, GPT-J, Meta's complex form, and the
  Vaswani table (sin at even, cos at odd).
"""

from __future__ import annotations

import numpy as np


def pair_indices(layout: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(first, second): index arrays of length dim/2 of the two coordinates of each pair."""
    h = dim // 2
    if layout in ("half", "concat"):
        return np.arange(h), np.arange(h) + h
    if layout == "interleaved":
        return np.arange(0, dim, 2), np.arange(1, dim, 2)
    raise ValueError(f"layout must be one of ('half', 'concat', 'interleaved'), got {layout!r}")


def split_pairs(v: np.ndarray, layout: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs' first and second coordinates of the first ``dim`` entries of the last axis."""
    first, second = pair_indices(layout, dim)
    return v[..., first], v[..., second]
