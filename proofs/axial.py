r"""2-D axial RoPE derivations (the vision towers of Qwen2-VL and its successors; Hugging Face's rope_type "axial").

A patch at (h, w) rotates pair j < d/4 by h·ω_j and pair d/4 + k by w·ω_k, ω_k = b^(−2k/(d/2)) — one ladder per
axis over half the head (``spec.axial``). Two pairs, one per axis, carry every fact:

* ``axial.relative``: ⟨R(h, w)q, R(h', w')k⟩ = q_hᵀR₂((h' − h)ω)k_h + q_wᵀR₂((w' − w)ω)k_w: a score depends on
  (Δh, Δw) only (``rope.relative`` on each block) — moving a whole image changes no score.
* ``axial.swap``: R(w, h) = Π·R(h, w)·Π, Π swapping the two blocks of pairs: swapping the rows of every position
  equals rotating the block-swapped vector and swapping back. Exports ``block_swap(head_dim, layout)``, the lane
  permutation Π. Only the two *blocks* trade places (each axis has the same ladder), so a target reading the rows in
  the wrong order passes this property and fails the oracle, while one mixing the axes within a block (alternating
  them, or following one row only) fails it.
* ``axial.ladder``: the ladder over half the head is plain RoPE's with every other frequency of the whole head,
  b^(−2k/(d/2)) = b^(−2(2k)/d) (Pixtral's h frequencies; its w takes the odd ones, a different scheme).
"""

from __future__ import annotations

import numpy as np
import sympy

from proofs import Derivation, exported
from proofs.rope import R2, SCORE, k1, k2, phi, q1, q2
from spec.layouts import pair_indices

h, w, h2, w2, omega = sympy.symbols("h w h' w' omega", real=True)
qh1, qh2, qw1, qw2, kh1, kh2, kw1, kw2 = sympy.symbols("q_h1 q_h2 q_w1 q_w2 k_h1 k_h2 k_w1 k_w2", real=True)
QV, KV = sympy.Matrix([qh1, qh2, qw1, qw2]), sympy.Matrix([kh1, kh2, kw1, kw2])


def rotation(row, column):
    """R(h, w) on one h pair and one w pair (lanes h₁, h₂, w₁, w₂)."""
    return sympy.diag(R2(row * omega), R2(column * omega))


#: Π: the two blocks of pairs trade places.
SWAP = sympy.Matrix([[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]])


def _block_score(a1, a2, b1, b2, delta):
    """rope.relative's score qᵀR₂(Δ·ω)k of one block."""
    return SCORE.subs({q1: a1, q2: a2, k1: b1, k2: b2, phi: delta * omega}, simultaneous=True)


RELATIVE = Derivation(
    "axial.relative",
    "⟨R(h, w)q, R(h', w')k⟩ = q_hᵀR₂((h' − h)ω)k_h + q_wᵀR₂((w' − w)ω)k_w: a score depends on (Δh, Δw) only",
    [((rotation(h, w) * QV).T * (rotation(h2, w2) * KV))[0]
     - _block_score(qh1, qh2, kh1, kh2, h2 - h) - _block_score(qw1, qw2, kw1, kw2, w2 - w)],
    steps=(("Each block is plain RoPE's pair on its own axis (rope.relative), so the score is the sum of both.",
            (r"\langle R(h,w)q, R(h',w')k\rangle",
             _block_score(qh1, qh2, kh1, kh2, h2 - h) + _block_score(qw1, qw2, kw1, kw2, w2 - w))),),
)

SWAP_DERIVATION = Derivation(
    "axial.swap",
    "R(w, h) = Π·R(h, w)·Π with Π the swap of the two blocks of pairs",
    list(rotation(w, h) - SWAP * rotation(h, w) * SWAP),
    steps=(("Conjugating by Π moves the h block's rotation onto the w block's lanes and back.",
            (r"\Pi R(h, w) \Pi", SWAP * rotation(h, w) * SWAP, r"R(w, h)")),),
)

k, d, b = sympy.symbols("k d b", positive=True)  # pair index, head_dim, base
LADDER = Derivation(
    "axial.ladder",
    "one axis's ladder b^(−2k/(d/2)) is frequency 2k of plain RoPE over the whole head, b^(−2(2k)/d)",
    [sympy.simplify(b ** (-2 * k / (d / 2)) - b ** (-2 * (2 * k) / d))],
)


@exported
def block_swap():
    """(head_dim, layout) ↦ Π as a lane permutation: the lanes of pair j ↔ those of pair j ± head_dim/4."""
    def permutation(head_dim: int, layout: str) -> np.ndarray:
        first, second = pair_indices(layout, head_dim)
        quarter = head_dim // 4
        partner = np.concatenate([np.arange(quarter, 2 * quarter), np.arange(quarter)])
        lanes = np.arange(head_dim)
        lanes[first], lanes[second] = first[partner], second[partner]
        return lanes

    return permutation
