r"""The half-split and interleaved layouts are one rotation seen through a permutation.

Interleaved RoPE rotates pairs (2i, 2i+1): blockdiag(R₂(φ_0), …). Half-split RoPE is
x·[cos φ | cos φ] + rotate_half(x)·[sin φ | sin φ] with rotate_half(x) = [−x₂, x₁]. With the
permutation P that sends coordinate 2i + j to i + j·d/2, H = P·I·Pᵀ: verified here for d = 2…8 from
those two formulas (not from the pair tables of ``spec.layouts``). The same P maps the sinusoidal
``interleaved`` table onto ``concat``.
"""

from __future__ import annotations

import numpy as np
import sympy

from proofs import Derivation


def half_from_interleaved(dim: int) -> np.ndarray:
    """Index array ``src`` with v_half = v_interleaved[src]: half slot i + j·d/2 holds 2i + j."""
    h = dim // 2
    return np.array([2 * (k % h) + k // h for k in range(dim)])


def _interleaved_operator(phases):
    return sympy.diag(*[sympy.Matrix([[sympy.cos(p), -sympy.sin(p)], [sympy.sin(p), sympy.cos(p)]]) for p in phases])


def _half_operator(phases):
    """The rotate_half formula as a matrix: column k is the image of the k-th unit vector."""
    d = 2 * len(phases)
    h = len(phases)
    cos = [sympy.cos(p) for p in phases] * 2
    sin = [sympy.sin(p) for p in phases] * 2
    x = sympy.Matrix(sympy.symbols(f"x0:{d}"))
    rotate_half = sympy.Matrix([-x[k + h] for k in range(h)] + [x[k] for k in range(h)])
    image = sympy.Matrix([x[k] * cos[k] + rotate_half[k] * sin[k] for k in range(d)])
    return image.jacobian(x)


def _permutation(dim: int):
    src = half_from_interleaved(dim)
    return sympy.Matrix(dim, dim, lambda row, col: 1 if src[row] == col else 0)


def _layout_residuals():
    residuals = []
    for dim in (2, 4, 6, 8):
        phases = sympy.symbols(f"phi0:{dim // 2}", real=True)
        p = _permutation(dim)
        residuals.append(_half_operator(phases) - p * _interleaved_operator(phases) * p.T)
    return residuals


_phases4 = sympy.symbols("phi0:2", real=True)
PERMUTATION = Derivation(
    "layouts.permutation",
    "rotate_half(H) = P · blockdiag(R₂(φ_i)) · Pᵀ with P: 2i+j ↦ i + j·d/2  (d = 2, 4, 6, 8)",
    _layout_residuals(),
    steps=(
        ("d = 4: the half-split formula x·[cos φ | cos φ] + rotate_half(x)·[sin φ | sin φ] as a matrix (its Jacobian).",
         ("H", _half_operator(_phases4))),
        ("P puts interleaved coordinate 2i + j at half-split slot i + j·d/2.", ("P", _permutation(4))),
        ("Conjugating the interleaved block rotation by P gives H.",
         (r"P \operatorname{blockdiag}(R_2(\phi_0), R_2(\phi_1)) P^{\mathsf T}",
          sympy.MatMul(_permutation(4), _interleaved_operator(_phases4), _permutation(4).T, evaluate=False), "H",
          _half_operator(_phases4))),
    ),
)
