r"""2-D axial RoPE of vision towers (Hugging Face's rope_type ``"axial"``; Qwen2-VL, Wang et al. 2024 §2.1): exact.

A patch at row h, column w: pair j < d/4 rotates by h·ω_j, pair d/4 + k by w·ω_k, with one ladder per axis over
half the head, ω_k = b^(−2k/(d/2)) (``spec.protocol.axial_rope_apply``). The score of a query at (h, w) and a key
at (h', w') is Σ_j qᵀR₂((h' − h)ω_j)k over the h pairs plus the same in w (``proofs.axial.relative``); swapping
the rows swaps the two blocks of pairs (``proofs.axial.swap``). Phases come from ``spec.phases`` (double-double
reduced), so the result is within 2 u(float64) of the exact one per unit of |x₁| + |x₂|, as ``spec.rope``.
"""

from __future__ import annotations

import numpy as np

from spec import rope, validation
from spec.phases import reduce_phases
from spec.scaling import frequency_model


def ladder(head_dim: int, base: float):
    """One axis's frequency model: plain RoPE's over head_dim/2 dims (head_dim/4 pairs)."""
    return frequency_model(head_dim // 2, base)


def pair_phases(positions, head_dim: int, base: float) -> np.ndarray:
    """``[seq, head_dim/2]``: the h row's phases on the first head_dim/4 pairs, the w row's on the rest (mod 2π)."""
    model = ladder(head_dim, base)
    h, w = reduce_phases(np.asarray(positions, dtype=np.int64), model.hi, model.lo)
    return np.concatenate([h, w], axis=-1)


def axial_rope_apply(x, positions, *, base=10000.0, layout="half"):
    """R(h, w)x in float64 for x ``[..., seq, head_dim]`` (any real dtype, read exactly), positions ``[2, seq]``."""
    head_dim, b, layout = validation.axial_rope_apply_args(x, positions, base, layout)
    return rope.rotate(x, pair_phases(positions, head_dim, b), layout, head_dim)
